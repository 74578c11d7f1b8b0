"""The drift report of one organization and period: totals on both sides, which records are
missing on either side, and each field that differs, as typed mismatches with the repair
qbsync suggests. Building it records what it found (an ignore survives the next report)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.aforo.billing import AforoInvoice, AforoInvoiceStatus
from qbsync.connections import repository as connections
from qbsync.connections.schemas import ConnectionSettings
from qbsync.connections.tokens import ensure_usable
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.query import MAX_PAGE_SIZE, Q
from qbsync.quickbooks.reads import ReadPurpose, reads_for
from qbsync.quickbooks.schemas.credit import CreditMemo
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.reconcile import repository
from qbsync.reconcile.compare import Difference, compare_invoice, is_voided
from qbsync.reconcile.flags import RecordRef, record_findings, unknown
from qbsync.reconcile.models import Mismatch, MismatchKind, MismatchState, Repair
from qbsync.sync.context import SyncDeps
from qbsync.sync.mappers.invoices import INVOICE_IDS, invoice_dates, money
from qbsync.sync.models import EntityType

SOURCE = "REPORT"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def holds(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end


@dataclass
class Total:
    aforo: Decimal = ZERO
    quickbooks: Decimal = ZERO

    @property
    def difference(self) -> Decimal:
        return self.quickbooks - self.aforo


@dataclass
class DriftReport:
    organization_id: int
    realm_id: str
    period: Period
    totals: dict[str, Total] = field(
        default_factory=lambda: {name: Total() for name in ("invoiced", "credited", "paid", "open")}
    )
    aforo_invoices: int = 0
    quickbooks_invoices: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    def count(self, kind: MismatchKind) -> int:
        return sum(1 for m in self.mismatches if m.kind == kind and m.state == MismatchState.OPEN)


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), MAX_PAGE_SIZE):
        yield ids[start : start + MAX_PAGE_SIZE]


def _invoice_day(invoice: AforoInvoice, settings: ConnectionSettings) -> date | None:
    return invoice_dates(invoice, terms_days=settings.payment_terms_days)[0]


def _expected(invoice: AforoInvoice, settings: ConnectionSettings) -> bool:
    """In QuickBooks by now: issued (or paid, overdue); drafts only when posted as drafts."""
    if invoice.status == AforoInvoiceStatus.VOID:
        return False
    return invoice.status != AforoInvoiceStatus.DRAFT or settings.draft_invoices == "sync"


async def _quickbooks_invoices(
    qbo: QuickBooksClient, period: Period, also: list[str]
) -> dict[str, Invoice]:
    """The period's invoices by TxnDate, and those qbsync mapped whose date moved out of it
    (a person may have changed it): at most a query per 1,000."""
    found = await qbo.query(
        Invoice,
        Q.all(Q.ge("TxnDate", period.start.isoformat()), Q.le("TxnDate", period.end.isoformat())),
    )
    by_id = {invoice.id: invoice for invoice in found if invoice.id is not None}
    missing = [qbo_id for qbo_id in also if qbo_id not in by_id]
    for chunk in _chunks(missing):
        for invoice in await qbo.query(Invoice, Q.in_("Id", chunk)):
            if invoice.id is not None:
                by_id[invoice.id] = invoice
    return by_id


async def build_report(
    session: AsyncSession, deps: SyncDeps, *, organization_id: int, period: Period
) -> DriftReport:
    connection = ensure_usable(
        organization_id, await connections.get_connection(session, organization_id)
    )
    settings = ConnectionSettings.model_validate(connection.settings or {})
    realm_id = connection.realm_id
    report = DriftReport(organization_id, realm_id, period)
    aforo = [
        invoice
        for invoice in await deps.aforo.billing.list_invoices(org_id=organization_id)
        if period.holds(_invoice_day(invoice, settings))
    ]
    mappings = {
        m.aforo_id: m
        for m in await repository.mappings_of_organization(
            session,
            organization_id=organization_id,
            realm_id=realm_id,
            entity_type=EntityType.INVOICE,
        )
    }
    realm_mapped = await repository.mapped_quickbooks_ids(
        session, realm_id=realm_id, entity_type=EntityType.INVOICE
    )
    customers = {
        m.aforo_id: m.quickbooks_id
        for m in await repository.mappings_of_organization(
            session,
            organization_id=organization_id,
            realm_id=realm_id,
            entity_type=EntityType.CUSTOMER,
        )
    }
    qbo = deps.quickbooks.client(organization_id=organization_id, realm_id=realm_id)
    wanted = [
        mappings[INVOICE_IDS.format(i.id)].quickbooks_id
        for i in aforo
        if INVOICE_IDS.format(i.id) in mappings
    ]
    with reads_for(ReadPurpose.PERSON):
        held = await _quickbooks_invoices(qbo, period, wanted)
        credits = await qbo.query(
            CreditMemo,
            Q.all(
                Q.ge("TxnDate", period.start.isoformat()), Q.le("TxnDate", period.end.isoformat())
            ),
        )
    keys: list[str] = []
    for invoice in aforo:
        aforo_id = INVOICE_IDS.format(invoice.id)
        keys.append(aforo_id)
        _add_aforo_totals(report, invoice)
        mapping = mappings.get(aforo_id)
        current = held.get(mapping.quickbooks_id) if mapping else None
        differences: list[Difference]
        if mapping is None:
            differences = (
                [Difference(MismatchKind.NOT_IN_QUICKBOOKS, aforo_id, None, Repair.RECREATE)]
                if _expected(invoice, settings)
                else []
            )
        elif current is None:
            differences = [
                Difference(MismatchKind.MISSING_IN_QUICKBOOKS, aforo_id, None, Repair.RECREATE)
            ]
        else:
            differences = compare_invoice(
                invoice,
                current,
                customer_qbo_id=customers.get(f"CUST-{invoice.customer_id}"),
                terms_days=settings.payment_terms_days,
            )
        ref = RecordRef(
            organization_id,
            realm_id,
            EntityType.INVOICE,
            aforo_id,
            mapping.quickbooks_id if mapping else None,
        )
        await record_findings(session, ref, differences, source=SOURCE)
    for qbo_invoice in held.values():
        if not period.holds(qbo_invoice.txn_date):
            continue
        report.quickbooks_invoices += 1
        _add_quickbooks_totals(report, qbo_invoice)
        if qbo_invoice.id not in realm_mapped:
            assert qbo_invoice.id is not None
            ref = RecordRef(organization_id, realm_id, EntityType.INVOICE, None, qbo_invoice.id)
            keys.append(ref.key)
            await record_findings(
                session,
                ref,
                [unknown(f"{qbo_invoice.doc_number or qbo_invoice.id} {qbo_invoice.total_amt}")],
                source=SOURCE,
            )
    report.totals["credited"].quickbooks += sum((money(c.total_amt or ZERO) for c in credits), ZERO)
    report.aforo_invoices = len(aforo)
    report.mismatches = await repository.mismatches_of_records(
        session, organization_id=organization_id, entity_type=EntityType.INVOICE, record_keys=keys
    )
    return report


def _add_aforo_totals(report: DriftReport, invoice: AforoInvoice) -> None:
    if invoice.status in (AforoInvoiceStatus.VOID, AforoInvoiceStatus.DRAFT):
        return
    total = money(invoice.total_amount)
    if total < 0:
        # A credit invoice: QuickBooks holds it as a credit memo.
        report.totals["credited"].aforo += -total
        return
    report.totals["invoiced"].aforo += total
    if invoice.status == AforoInvoiceStatus.PAID:
        report.totals["paid"].aforo += total
    else:
        report.totals["open"].aforo += total


def _add_quickbooks_totals(report: DriftReport, invoice: Invoice) -> None:
    if is_voided(invoice):
        return
    total = money(invoice.total_amt or ZERO)
    balance = money(invoice.balance if invoice.balance is not None else total)
    report.totals["invoiced"].quickbooks += total
    report.totals["paid"].quickbooks += total - balance
    report.totals["open"].quickbooks += balance
