"""What differs between Aforo's invoice and QuickBooks' copy of it, field by field: each
difference typed, with both values as a person reads them and the repair qbsync suggests."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from qbsync.aforo.billing import AforoInvoice, AforoInvoiceStatus
from qbsync.quickbooks.schemas import Ref
from qbsync.quickbooks.schemas.invoice import DiscountLine, Invoice, SalesItemLine
from qbsync.reconcile.models import MismatchKind, Repair
from qbsync.sync.mappers.invoices import map_invoice, money

# Lines and totals do not depend on the item a line names.
_ANY_ITEM = Ref(value="0")


@dataclass(frozen=True)
class Difference:
    kind: MismatchKind
    aforo_value: str | None
    quickbooks_value: str | None
    repair: Repair


def is_voided(invoice: Invoice) -> bool:
    """QuickBooks keeps a voided invoice with zero amounts and "Voided" in its private note."""
    note = (invoice.private_note or "").strip().casefold()
    return note.startswith("voided") and (invoice.total_amt or Decimal(0)) == 0


def _lines(invoice: Invoice) -> list[str]:
    shown: list[str] = []
    for line in invoice.line or []:
        if isinstance(line, SalesItemLine | DiscountLine) and line.amount is not None:
            sign = "-" if isinstance(line, DiscountLine) else ""
            shown.append(f"{sign}{money(line.amount)} {(line.description or '').strip()}".strip())
    return shown


def compare_invoice(
    aforo: AforoInvoice, qbo: Invoice, *, customer_qbo_id: str | None, terms_days: int
) -> list[Difference]:
    """Empty when QuickBooks holds what qbsync would write for ``aforo``."""
    aforo_void = aforo.status == AforoInvoiceStatus.VOID
    qbo_void = is_voided(qbo)
    if aforo_void or qbo_void:
        if aforo_void == qbo_void:
            return []
        # A voided invoice cannot be changed in QuickBooks: a person decides (void it in Aforo
        # too, or delete it in QuickBooks so that qbsync re-creates it).
        return [
            Difference(
                MismatchKind.STATUS,
                str(aforo.status),
                "VOIDED" if qbo_void else "OPEN",
                Repair.REVIEW if qbo_void else Repair.REPUSH,
            )
        ]
    wanted, totals = map_invoice(
        aforo, customer_qbo_id=customer_qbo_id or "", item_ref=_ANY_ITEM, terms_days=terms_days
    )
    found: list[Difference] = []
    actual_total = money(qbo.total_amt) if qbo.total_amt is not None else None
    if actual_total != money(totals.total):
        found.append(
            Difference(
                MismatchKind.AMOUNT, str(money(totals.total)), str(actual_total), Repair.REPUSH
            )
        )
    if _lines(wanted) != _lines(qbo):
        found.append(
            Difference(
                MismatchKind.LINES, "; ".join(_lines(wanted)), "; ".join(_lines(qbo)), Repair.REPUSH
            )
        )
    actual_customer = qbo.customer_ref.value if qbo.customer_ref else None
    if customer_qbo_id is not None and actual_customer != customer_qbo_id:
        found.append(
            Difference(MismatchKind.CUSTOMER, customer_qbo_id, actual_customer, Repair.REPUSH)
        )
    wanted_dates = (wanted.txn_date, wanted.due_date)
    if wanted_dates != (qbo.txn_date, qbo.due_date):
        found.append(
            Difference(
                MismatchKind.DATES,
                " / ".join(str(d) for d in wanted_dates),
                f"{qbo.txn_date} / {qbo.due_date}",
                Repair.REPUSH,
            )
        )
    return found
