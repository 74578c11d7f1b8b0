"""The organization's synced invoices as QuickBooks holds them (amounts, balance after
payments, voids), from what qbsync wrote and learned since (snapshots, payments, change
notifications), and their PDFs (read live: a person asked); only through the
organization's own mappings, so another organization's ids are answered as missing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.connections import repository as connections
from qbsync.connections.access import QuickBooksAccess
from qbsync.connections.models import QuickBooksConnection
from qbsync.connections.tokens import ensure_usable
from qbsync.errors import NotFound
from qbsync.quickbooks import Q, QuickBooksNotFound
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.reads import ReadPurpose, reads_for
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.snapshots import repository as snapshots
from qbsync.sync import reports
from qbsync.sync.models import EntityType, Mapping

# QBO caps a page at 1000 rows; one IN list per page keeps each query a single round trip.
IDS_PER_QUERY = 1000


@dataclass(frozen=True)
class SyncedInvoice:
    invoice: Invoice
    mapping: Mapping


def _chunks(ids: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _client(quickbooks: QuickBooksAccess, connection: QuickBooksConnection) -> QuickBooksClient:
    usable = ensure_usable(connection.organization_id, connection)
    return quickbooks.client(organization_id=usable.organization_id, realm_id=usable.realm_id)


async def synced_invoices(
    session: AsyncSession, quickbooks: QuickBooksAccess, organization_id: int
) -> list[SyncedInvoice]:
    """Newest sync first, from what qbsync wrote and learned since (no QuickBooks read: a page
    view costs nothing of the read budget); an invoice deleted in QuickBooks is left out.
    Invoices synced before snapshots were kept are read once, in IN queries of 1,000."""
    connection = await connections.get_connection(session, organization_id)
    if connection is None:
        return []
    usable = ensure_usable(organization_id, connection)
    mappings = await reports.list_mappings(
        session,
        organization_id=organization_id,
        realm_id=connection.realm_id,
        entity_type=EntityType.INVOICE,
    )
    if not mappings:
        return []
    by_qbo_id = {mapping.quickbooks_id: mapping for mapping in mappings}
    found = await snapshots.invoices(
        session, realm_id=connection.realm_id, quickbooks_ids=list(by_qbo_id)
    )
    unknown = [qbo_id for qbo_id in by_qbo_id if qbo_id not in found]
    if unknown:
        qbo = quickbooks.client(organization_id=organization_id, realm_id=usable.realm_id)
        for ids in _chunks(unknown, IDS_PER_QUERY):
            with reads_for(ReadPurpose.PERSON):
                fetched = await qbo.query(Invoice, Q.in_("Id", ids))
            for invoice in fetched:
                if invoice.id is not None:
                    found[invoice.id] = invoice
                    await snapshots.save(
                        session,
                        realm_id=connection.realm_id,
                        entity_type=EntityType.INVOICE,
                        entity=invoice,
                    )
    rows = []
    for mapping in reversed(mappings):
        known = found.get(mapping.quickbooks_id)
        if known is not None and by_qbo_id[mapping.quickbooks_id] is mapping:
            rows.append(SyncedInvoice(known, mapping))
    return rows


async def _owned(
    session: AsyncSession, organization_id: int, qbo_id: str
) -> tuple[QuickBooksConnection, Mapping]:
    """NotFound unless this QBO id is one of the organization's synced invoices: another
    organization's ids are indistinguishable from ids that do not exist."""
    connection = await connections.get_connection(session, organization_id)
    mapping = None
    if connection is not None:
        mapping = await reports.find_owned(
            session,
            organization_id=organization_id,
            realm_id=connection.realm_id,
            entity_type=EntityType.INVOICE,
            quickbooks_id=qbo_id,
        )
    if connection is None or mapping is None:
        raise NotFound(f"invoice {qbo_id} is not a QuickBooks invoice of this organization")
    return connection, mapping


async def synced_invoice(
    session: AsyncSession, quickbooks: QuickBooksAccess, organization_id: int, qbo_id: str
) -> SyncedInvoice:
    """From what qbsync wrote and learned since, like the list; read once if unknown."""
    connection, mapping = await _owned(session, organization_id, qbo_id)
    usable = ensure_usable(organization_id, connection)
    known = await snapshots.invoices(session, realm_id=usable.realm_id, quickbooks_ids=[qbo_id])
    if qbo_id in known:
        snapshot = known[qbo_id]
        if snapshot is None:
            raise NotFound(f"invoice {qbo_id} no longer exists in QuickBooks")
        return SyncedInvoice(snapshot, mapping)
    try:
        with reads_for(ReadPurpose.PERSON):
            invoice = await _client(quickbooks, connection).read(Invoice, qbo_id)
    except QuickBooksNotFound:
        raise NotFound(f"invoice {qbo_id} no longer exists in QuickBooks") from None
    await snapshots.save(
        session, realm_id=usable.realm_id, entity_type=EntityType.INVOICE, entity=invoice
    )
    return SyncedInvoice(invoice, mapping)


async def invoice_pdf(
    session: AsyncSession, quickbooks: QuickBooksAccess, organization_id: int, qbo_id: str
) -> bytes:
    connection, _ = await _owned(session, organization_id, qbo_id)
    try:
        with reads_for(ReadPurpose.PERSON):
            return await _client(quickbooks, connection).invoice_pdf(qbo_id)
    except QuickBooksNotFound:
        raise NotFound(f"invoice {qbo_id} no longer exists in QuickBooks") from None
