"""Credits -> QBO CreditMemo: a credit note, or an invoice whose credits exceed its charges;
and the zero-amount Payment that applies a credit memo to an invoice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from qbsync.aforo.billing import AforoInvoice
from qbsync.aforo.credit_notes import AforoCreditNote
from qbsync.ids import IdCodec
from qbsync.quickbooks.schemas import (
    CreditMemo,
    DiscountLine,
    DiscountLineDetail,
    Line,
    LinkedTxn,
    Payment,
    PaymentLine,
    Ref,
    SalesItemLine,
    SalesItemLineDetail,
)
from qbsync.sync.mappers.invoices import invoice_dates, line_description, money
from qbsync.sync.mappers.text import clean_text, fit_doc_number

# Keys: ``note-5`` (Aforo credit note 5) and ``invoice-42`` (credit invoice 42).
CREDIT_MEMO_IDS = IdCodec("credit-", numeric=False)


def credit_note_aforo_id(credit_note_id: int) -> str:
    return CREDIT_MEMO_IDS.format(f"note-{credit_note_id}")


def application_aforo_id(credit_aforo_id: str, invoice_qbo_id: str) -> str:
    return f"{credit_aforo_id}:applied-to:{invoice_qbo_id}"


@dataclass(frozen=True)
class CreditPart:
    """One line of a credit, positive for credit given, negative for a charge netted off it."""

    description: str
    amount: Decimal
    tax_rate: Decimal | None = None


@dataclass(frozen=True)
class MappedCredit:
    memo: CreditMemo
    total: Decimal
    # Aforo's rate of each sales line, in order (for the tax mapper).
    line_rates: list[Decimal | None]


def is_credit(invoice: AforoInvoice) -> bool:
    """An invoice that gives money back: a negative total, or credits above the charges."""
    charges = sum(
        (money(line.amount) for line in invoice.line_items if line.amount > 0), Decimal(0)
    )
    credits = sum(
        (-money(line.amount) for line in invoice.line_items if line.amount < 0), Decimal(0)
    )
    if not invoice.line_items:
        return money(invoice.total_amount) < 0
    return credits > charges


def credit_lines(
    parts: Sequence[CreditPart], *, item_ref: Ref
) -> tuple[list[Line], Decimal, list[Decimal | None]]:
    """Credits as sales lines (QuickBooks refuses negative lines, fault 2290); charges inside
    the credit as one discount line that lowers it."""
    lines: list[Line] = []
    rates: list[Decimal | None] = []
    credit = Decimal(0)
    netted: list[CreditPart] = []
    for part in parts:
        amount = money(part.amount)
        if amount < 0:
            netted.append(part)
            continue
        lines.append(
            SalesItemLine(
                amount=amount,
                description=clean_text(part.description, max_len=4000) or "Credit",
                sales_item_line_detail=SalesItemLineDetail(
                    item_ref=item_ref, qty=Decimal(1), unit_price=amount
                ),
            )
        )
        rates.append(part.tax_rate)
        credit += amount
    charges = sum((-money(p.amount) for p in netted), Decimal(0))
    if netted:
        lines.append(
            DiscountLine(
                amount=charges,
                description=clean_text(
                    "Charges netted against the credit: "
                    + "; ".join(p.description for p in netted),
                    max_len=4000,
                ),
                discount_line_detail=DiscountLineDetail(percent_based=False),
            )
        )
    return lines, credit - charges, rates


def _memo(
    *,
    doc_number: str,
    txn_date: date | None,
    customer_qbo_id: str,
    lines: list[Line],
    note: str,
) -> CreditMemo:
    return CreditMemo(
        doc_number=fit_doc_number(doc_number),
        txn_date=txn_date,
        customer_ref=Ref(value=customer_qbo_id),
        line=lines,
        private_note=note[:4000],
    )


def map_invoice_credit(
    invoice: AforoInvoice, *, customer_qbo_id: str, item_ref: Ref
) -> MappedCredit:
    """A credit invoice, its signs turned: what it gives back becomes the memo's lines."""
    parts = [
        CreditPart(line_description(line), -line.amount, line.tax_rate)
        for line in invoice.line_items
    ] or [CreditPart("Credit", -invoice.total_amount, invoice.tax_rate)]
    lines, total, rates = credit_lines(parts, item_ref=item_ref)
    txn_date, _ = invoice_dates(invoice, terms_days=0)
    note = (
        f"Aforo invoice {invoice.id} ({invoice.invoice_number}) is a credit of {total}, "
        f"organization {invoice.organization_id}, customer CUST-{invoice.customer_id}. Synced by qbsync."
    )
    memo = _memo(
        doc_number=invoice.invoice_number,
        txn_date=txn_date,
        customer_qbo_id=customer_qbo_id,
        lines=lines,
        note=note,
    )
    return MappedCredit(memo, total, rates)


def map_credit_note(note: AforoCreditNote, *, customer_qbo_id: str, item_ref: Ref) -> MappedCredit:
    parts = [
        CreditPart(line.description or f"Line {line.line_number}", line.amount, line.tax_rate)
        for line in sorted(note.line_items, key=lambda line: line.line_number)
    ] or [CreditPart(note.reason or "Credit", note.total_amount)]
    lines, total, rates = credit_lines(parts, item_ref=item_ref)
    text = (
        f"Aforo credit note {note.id} ({note.credit_note_number})"
        + (f" for Aforo invoice {note.invoice_id}" if note.invoice_id else "")
        + (f": {note.reason}" if note.reason else "")
        + ". Synced by qbsync."
    )
    memo = _memo(
        doc_number=note.credit_note_number,
        txn_date=note.issued_at.date() if note.issued_at else None,
        customer_qbo_id=customer_qbo_id,
        lines=lines,
        note=text,
    )
    return MappedCredit(memo, total, rates)


def credit_to_apply(credit_left: Decimal, invoice_balance: Decimal) -> Decimal:
    return max(Decimal(0), min(money(credit_left), money(invoice_balance)))


def map_credit_application(
    *,
    customer_qbo_id: str,
    credit_qbo_id: str,
    invoice_qbo_id: str,
    amount: Decimal,
    txn_date: date | None,
    note: str,
) -> Payment:
    """QuickBooks applies a credit memo through a payment of 0: the invoice paid by the
    credit used (the emulator and QuickBooks both check the two lines agree)."""
    amount = money(amount)
    return Payment(
        customer_ref=Ref(value=customer_qbo_id),
        total_amt=Decimal("0.00"),
        txn_date=txn_date,
        private_note=note[:4000],
        line=[
            PaymentLine(
                amount=amount, linked_txn=[LinkedTxn(txn_id=invoice_qbo_id, txn_type="Invoice")]
            ),
            PaymentLine(
                amount=amount, linked_txn=[LinkedTxn(txn_id=credit_qbo_id, txn_type="CreditMemo")]
            ),
        ],
    )
