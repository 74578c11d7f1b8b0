"""/api/quickbooks/invoices: the organization's synced invoices as QBO holds them, and their PDFs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.api.auth import (
    TenantDep,
    TokenVerifier,
    get_principal,
    get_scope,
    get_tenant,
    get_verifier,
)
from qbsync.api.compat import ExactJSONResponse, iso_instant
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.api.errors import PdfLinkInvalid
from qbsync.api.pdf_links import PdfLinks, derive_key, pdf_links, verify
from qbsync.config import Settings
from qbsync.connections import repository as connections
from qbsync.connections.models import QuickBooksConnection
from qbsync.connections.tokens import ensure_usable
from qbsync.errors import NotFound
from qbsync.quickbooks import Q, QuickBooksNotFound
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.resources import Resources
from qbsync.sync import reports
from qbsync.sync.models import EntityType, Mapping

router = APIRouter(prefix="/api/quickbooks", tags=["invoices"])

# QBO caps a page at 1000 rows; one IN list per page keeps each query a single round trip.
IDS_PER_QUERY = 1000


def _chunks(ids: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _client(resources: Resources, connection: QuickBooksConnection) -> QuickBooksClient:
    return resources.quickbooks.client(
        organization_id=connection.organization_id, realm_id=connection.realm_id
    )


def _links(settings: Settings, *, qbo_id: str, organization_id: int) -> PdfLinks:
    return pdf_links(
        derive_key(settings.jwt_secret),
        qbo_id=qbo_id,
        organization_id=organization_id,
        expires_at=int(time.time()) + settings.auth.pdf_link_ttl_s,
    )


def _invoice_json(invoice: Invoice, mapping: Mapping, links: PdfLinks) -> dict[str, Any]:
    """QBO's own PascalCase invoice, plus the four fields the UI adds to each row."""
    body = invoice.model_dump(mode="python", by_alias=True, exclude_none=True)
    body["pdfUrl"] = links.view
    body["pdfDownloadUrl"] = links.download
    # The original answered the mapping's Aforo id ("invoice-42"); the UI only copies it.
    body["aforoInvoiceId"] = mapping.aforo_id
    body["syncedAt"] = iso_instant(mapping.created_at)
    return body


@router.get("/invoices", response_model=None)
async def list_invoices(
    organization_id: TenantDep, session: SessionDep, resources: ResourcesDep
) -> Response:
    """Only invoices mapped to this organization, newest sync first; QBO holds the truth
    (amounts, balance after payments, voids), so each call reads them from QBO."""
    connection = await connections.get_connection(session, organization_id)
    if connection is None:
        return ExactJSONResponse({"invoices": [], "totalCount": 0})
    mappings = await reports.list_mappings(
        session,
        organization_id=organization_id,
        realm_id=connection.realm_id,
        entity_type=EntityType.INVOICE,
    )
    if not mappings:
        return ExactJSONResponse({"invoices": [], "totalCount": 0})
    qbo = _client(resources, ensure_usable(organization_id, connection))
    by_qbo_id = {mapping.quickbooks_id: mapping for mapping in mappings}
    found: dict[str, Invoice] = {}
    for ids in _chunks(list(by_qbo_id), IDS_PER_QUERY):
        for invoice in await qbo.query(Invoice, Q.in_("Id", ids)):
            if invoice.id is not None:
                found[invoice.id] = invoice
    rows = [
        _invoice_json(
            found[mapping.quickbooks_id],
            mapping,
            _links(
                resources.settings, qbo_id=mapping.quickbooks_id, organization_id=organization_id
            ),
        )
        # An invoice deleted in QuickBooks has a mapping but nothing to show.
        for mapping in reversed(mappings)
        if mapping.quickbooks_id in found and by_qbo_id[mapping.quickbooks_id] is mapping
    ]
    return ExactJSONResponse({"invoices": rows, "totalCount": len(rows)})


async def _owned_invoice(
    session: AsyncSession, organization_id: int, qbo_id: str
) -> tuple[QuickBooksConnection, Mapping]:
    """404 unless this QBO id is one of the organization's synced invoices: another
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


@router.get("/invoices/{qbo_id}", response_model=None)
async def get_invoice(
    qbo_id: str, organization_id: TenantDep, session: SessionDep, resources: ResourcesDep
) -> Response:
    connection, mapping = await _owned_invoice(session, organization_id, qbo_id)
    qbo = _client(resources, ensure_usable(organization_id, connection))
    try:
        invoice = await qbo.read(Invoice, qbo_id)
    except QuickBooksNotFound:
        raise NotFound(f"invoice {qbo_id} no longer exists in QuickBooks") from None
    links = _links(resources.settings, qbo_id=qbo_id, organization_id=organization_id)
    return ExactJSONResponse(_invoice_json(invoice, mapping, links))


async def _pdf_organization(
    verifier: TokenVerifier,
    *,
    qbo_id: str,
    organization_id: int | None,
    exp: int | None,
    sig: str | None,
    download: bool,
    authorization: str | None,
    x_organization_id: str | None,
    settings: Settings,
) -> int:
    """Who may read this PDF: a signed link names the organization itself; without one, a
    bearer token for the organization is needed (the same rules as every tenant route)."""
    if sig is not None or exp is not None:
        if sig is None or exp is None or organization_id is None:
            raise PdfLinkInvalid("this PDF link is incomplete")
        verify(
            derive_key(settings.jwt_secret),
            qbo_id=qbo_id,
            organization_id=organization_id,
            expires_at=exp,
            download=download,
            sig=sig,
            now=int(time.time()),
        )
        return organization_id
    if authorization:
        principal = await get_principal(verifier, authorization)
        requested = str(organization_id) if organization_id is not None else None
        return await get_tenant(await get_scope(principal, x_organization_id, requested))
    raise PdfLinkInvalid(
        "this PDF link is not signed",
        hint="use the pdfUrl of GET /api/quickbooks/invoices, or send a bearer token",
    )


@router.get(
    "/invoices/{qbo_id}/pdf",
    response_model=None,
    responses={200: {"content": {"application/pdf": {}}}, 403: {}, 404: {}, 410: {}},
)
async def invoice_pdf(
    qbo_id: str,
    session: SessionDep,
    resources: ResourcesDep,
    verifier: Annotated[TokenVerifier, Depends(get_verifier)],
    organization_id: Annotated[int | None, Query(alias="organizationId")] = None,
    exp: Annotated[int | None, Query()] = None,
    sig: Annotated[str | None, Query(max_length=100)] = None,
    download: Annotated[bool, Query()] = False,
    authorization: Annotated[str | None, Header()] = None,
    x_organization_id: Annotated[str | None, Header()] = None,
) -> Response:
    """Opened by the browser (``window.open``): no headers, so the signed query is enough."""
    org = await _pdf_organization(
        verifier,
        qbo_id=qbo_id,
        organization_id=organization_id,
        exp=exp,
        sig=sig,
        download=download,
        authorization=authorization,
        x_organization_id=x_organization_id,
        settings=resources.settings,
    )
    connection, _ = await _owned_invoice(session, org, qbo_id)
    qbo = _client(resources, ensure_usable(org, connection))
    try:
        content = await qbo.invoice_pdf(qbo_id)
    except QuickBooksNotFound:
        raise NotFound(f"invoice {qbo_id} no longer exists in QuickBooks") from None
    disposition = "attachment" if download else "inline"
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'{disposition}; filename="invoice-{qbo_id}.pdf"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
