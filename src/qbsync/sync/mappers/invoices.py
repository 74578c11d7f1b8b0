"""Metering invoice -> QBO Invoice: one sales line per metering line, negatives as a discount."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from qbsync.aforo.billing import AforoInvoice, AforoInvoiceLine
from qbsync.ids import IdCodec
from qbsync.quickbooks.schemas import MemoRef, Ref
from qbsync.quickbooks.schemas.invoice import (
    DiscountLine,
    DiscountLineDetail,
    Invoice,
    Line,
    SalesItemLine,
    SalesItemLineDetail,
)
from qbsync.sync.mappers.text import clean_text, fit_doc_number

CENT = Decimal("0.01")
FALLBACK_LINE = "Usage charges"


INVOICE_IDS = IdCodec("invoice-")


@dataclass(frozen=True)
class InvoiceTotals:
    """What the mapped lines add up to, to compare with metering's totalAmount."""

    charges: Decimal
    discount: Decimal

    @property
    def total(self) -> Decimal:
        return self.charges - self.discount


def money(value: Decimal) -> Decimal:
    rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    # -0.004 rounds to -0.00, which would go out as a negative amount: zero has no sign.
    return abs(rounded) if rounded.is_zero() else rounded


def line_description(line: AforoInvoiceLine) -> str:
    description = (line.description or "").strip() or f"Line {line.line_number}"
    calculation = (line.calculation or "").strip()
    if calculation and calculation.casefold() != description.casefold():
        description = f"{description} ({calculation})"
    return clean_text(description, max_len=4000) or description[:4000]


def _quantity_and_price(line: AforoInvoiceLine, amount: Decimal) -> tuple[Decimal, Decimal]:
    """QBO refuses a line unless Qty x UnitPrice = Amount (fault 6070). Metering sends no
    quantity today; when it does and they agree to the cent, keep them, else 1 x amount."""
    if (
        line.quantity is not None
        and line.unit_price is not None
        and line.quantity > 0
        and line.unit_price >= 0
        and money(line.quantity * line.unit_price) == amount
    ):
        return line.quantity, line.unit_price
    return Decimal(1), amount


def invoice_dates(invoice: AforoInvoice, *, terms_days: int) -> tuple[date | None, date | None]:
    """TxnDate is the end of the billing period (the day the charges are for), else creation."""
    when = invoice.billing_period_end or invoice.created_at
    if when is None:
        return None, None
    txn_date = when.date()
    return txn_date, txn_date + timedelta(days=terms_days)


def invoice_lines(invoice: AforoInvoice, *, item_ref: Ref) -> tuple[list[Line], InvoiceTotals]:
    """Sales lines in ``lineNumber`` order (zero amounts included); negative lines become
    one discount line, since QBO refuses negative sales lines (fault 2290)."""
    lines: list[Line] = []
    charges = Decimal(0)
    discounts: list[AforoInvoiceLine] = []
    for line in sorted(invoice.line_items, key=lambda item: item.line_number):
        amount = money(line.amount)
        if amount < 0:
            discounts.append(line)
            continue
        qty, unit_price = _quantity_and_price(line, amount)
        lines.append(
            SalesItemLine(
                amount=amount,
                description=line_description(line),
                sales_item_line_detail=SalesItemLineDetail(
                    item_ref=item_ref, qty=qty, unit_price=unit_price
                ),
            )
        )
        charges += amount
    if not invoice.line_items:
        total = money(invoice.total_amount)
        lines.append(
            SalesItemLine(
                amount=total,
                description=FALLBACK_LINE,
                sales_item_line_detail=SalesItemLineDetail(
                    item_ref=item_ref, qty=Decimal(1), unit_price=total
                ),
            )
        )
        charges = total
    discount = sum((-money(line.amount) for line in discounts), Decimal(0))
    if discounts:
        lines.append(
            DiscountLine(
                amount=discount,
                description=clean_text(
                    "; ".join(line_description(d) for d in discounts), max_len=4000
                ),
                discount_line_detail=DiscountLineDetail(percent_based=False),
            )
        )
    return lines, InvoiceTotals(charges=charges, discount=discount)


def map_invoice(
    invoice: AforoInvoice, *, customer_qbo_id: str, item_ref: Ref, terms_days: int
) -> tuple[Invoice, InvoiceTotals]:
    lines, totals = invoice_lines(invoice, item_ref=item_ref)
    txn_date, due_date = invoice_dates(invoice, terms_days=terms_days)
    period = ""
    if invoice.billing_period_start and invoice.billing_period_end:
        period = (
            f"Usage charges for billing period: {invoice.billing_period_start.date().isoformat()}"
            f" to {invoice.billing_period_end.date().isoformat()}"
        )
    note = (
        f"Aforo invoice {invoice.id} ({invoice.invoice_number}), organization "
        f"{invoice.organization_id}, customer CUST-{invoice.customer_id}"
        + (f", subscription {invoice.subscription_id}" if invoice.subscription_id else "")
        + (f", rate plan {invoice.rate_plan_id}" if invoice.rate_plan_id else "")
        + ". Synced by qbsync."
    )
    return (
        Invoice(
            doc_number=fit_doc_number(invoice.invoice_number),
            txn_date=txn_date,
            due_date=due_date,
            customer_ref=Ref(value=customer_qbo_id),
            line=lines,
            private_note=note[:4000],
            customer_memo=MemoRef(value=period[:1000]) if period else None,
        ),
        totals,
    )
