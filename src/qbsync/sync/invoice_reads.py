"""The organization's synced invoices as QuickBooks holds them (amounts, balance after
payments, voids), and their PDFs: read from QuickBooks each time, and only through the
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
from qbsync.quickbooks.schemas.invoice import Invoice
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
    """Newest sync first; an invoice deleted in QuickBooks has a mapping but is left out."""
    connection = await connections.get_connection(session, organization_id)
    if connection is None:
        return []
    mappings = await reports.list_mappings(
        session,
        organization_id=organization_id,
        realm_id=connection.realm_id,
        entity_type=EntityType.INVOICE,
    )
    if not mappings:
        return []
    qbo = _client(quickbooks, connection)
    by_qbo_id = {mapping.quickbooks_id: mapping for mapping in mappings}
    found: dict[str, Invoice] = {}
    for ids in _chunks(list(by_qbo_id), IDS_PER_QUERY):
        for invoice in await qbo.query(Invoice, Q.in_("Id", ids)):
            if invoice.id is not None:
                found[invoice.id] = invoice
    return [
        SyncedInvoice(found[mapping.quickbooks_id], mapping)
        for mapping in reversed(mappings)
        if mapping.quickbooks_id in found and by_qbo_id[mapping.quickbooks_id] is mapping
    ]


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
    connection, mapping = await _owned(session, organization_id, qbo_id)
    try:
        invoice = await _client(quickbooks, connection).read(Invoice, qbo_id)
    except QuickBooksNotFound:
        raise NotFound(f"invoice {qbo_id} no longer exists in QuickBooks") from None
    return SyncedInvoice(invoice, mapping)


async def invoice_pdf(
    session: AsyncSession, quickbooks: QuickBooksAccess, organization_id: int, qbo_id: str
) -> bytes:
    connection, _ = await _owned(session, organization_id, qbo_id)
    try:
        return await _client(quickbooks, connection).invoice_pdf(qbo_id)
    except QuickBooksNotFound:
        raise NotFound(f"invoice {qbo_id} no longer exists in QuickBooks") from None
