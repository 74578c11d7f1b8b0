"""A small, valid one-page PDF for ``GET /invoice/{id}/pdf``."""

from __future__ import annotations

from qbo_emulator.wire import JsonObject


def _escape(text: str) -> str:
    latin = text.encode("latin-1", errors="replace").decode("latin-1")
    return latin.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _lines(company_name: str, invoice: JsonObject) -> list[str]:
    number = invoice.get("DocNumber") or invoice["Id"]
    customer = invoice.get("CustomerRef", {}).get("name", "")
    out = [
        company_name,
        f"INVOICE {number}",
        f"Bill to: {customer}",
        f"Date: {invoice.get('TxnDate', '')}    Due: {invoice.get('DueDate', '')}",
        "",
    ]
    for line in invoice.get("Line", []):
        if line.get("DetailType") == "SalesItemLineDetail":
            item = line["SalesItemLineDetail"].get("ItemRef", {}).get("name", "")
            out.append(f"{line.get('Description') or item}    {line['Amount']}")
        elif line.get("DetailType") == "DiscountLineDetail":
            out.append(f"Discount    -{line['Amount']}")
    out += ["", f"Total: {invoice.get('TotalAmt')}", f"Balance due: {invoice.get('Balance')}"]
    return out


def invoice_pdf(company_name: str, invoice: JsonObject) -> bytes:
    text_ops = ["BT", "/F1 12 Tf", "14 TL", "72 740 Td"]
    for line in _lines(company_name, invoice):
        text_ops.append(f"({_escape(line)}) Tj T*")
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)
