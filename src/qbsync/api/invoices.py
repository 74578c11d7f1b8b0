"""/api/quickbooks/invoices: the organization's synced invoices as QBO holds them, and their PDFs."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from qbsync.api.auth import (
    TenantDep,
    TokenVerifier,
    get_principal,
    get_scope,
    get_tenant,
    get_verifier,
)
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.api.errors import ERRORS, PdfLinkInvalid
from qbsync.api.pdf_links import PdfLinks, derive_key, pdf_links, verify
from qbsync.api.views import ExactJSONResponse, iso_instant
from qbsync.config import Settings
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.sync import invoice_reads
from qbsync.sync.invoice_reads import SyncedInvoice

router = APIRouter(prefix="/api/quickbooks", tags=["invoices"])


class InvoiceRow(Invoice):
    """QBO's own PascalCase invoice, plus the four fields the UI adds to each row."""

    pdf_url: str = Field(alias="pdfUrl")
    pdf_download_url: str = Field(alias="pdfDownloadUrl")
    aforo_invoice_id: str = Field(alias="aforoInvoiceId")
    synced_at: str = Field(alias="syncedAt")


class InvoiceList(BaseModel):
    invoices: list[InvoiceRow]
    totalCount: int


def _links(settings: Settings, *, qbo_id: str, organization_id: int) -> PdfLinks:
    return pdf_links(
        derive_key(settings.jwt_secret),
        qbo_id=qbo_id,
        organization_id=organization_id,
        expires_at=int(time.time()) + settings.auth.pdf_link_ttl_s,
    )


def _invoice_json(synced: SyncedInvoice, links: PdfLinks) -> dict[str, Any]:
    """QBO's own PascalCase invoice, plus the four fields the UI adds to each row."""
    body = synced.invoice.model_dump(mode="python", by_alias=True, exclude_none=True)
    body["pdfUrl"] = links.view
    body["pdfDownloadUrl"] = links.download
    # The original answered the mapping's Aforo id ("invoice-42"); the UI only copies it.
    body["aforoInvoiceId"] = synced.mapping.aforo_id
    body["syncedAt"] = iso_instant(synced.mapping.created_at)
    return body


@router.get("/invoices", response_model=InvoiceList, responses=ERRORS)
async def list_invoices(
    organization_id: TenantDep, session: SessionDep, resources: ResourcesDep
) -> Response:
    """Only invoices mapped to this organization, newest sync first; QBO holds the truth
    (amounts, balance after payments, voids), so each call reads them from QBO."""
    synced = await invoice_reads.synced_invoices(session, resources.quickbooks, organization_id)
    rows = [
        _invoice_json(
            one,
            _links(
                resources.settings,
                qbo_id=one.mapping.quickbooks_id,
                organization_id=organization_id,
            ),
        )
        for one in synced
    ]
    return ExactJSONResponse({"invoices": rows, "totalCount": len(rows)})


@router.get("/invoices/{qbo_id}", response_model=InvoiceRow, responses=ERRORS)
async def get_invoice(
    qbo_id: str, organization_id: TenantDep, session: SessionDep, resources: ResourcesDep
) -> Response:
    synced = await invoice_reads.synced_invoice(
        session, resources.quickbooks, organization_id, qbo_id
    )
    links = _links(resources.settings, qbo_id=qbo_id, organization_id=organization_id)
    return ExactJSONResponse(_invoice_json(synced, links))


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
    content = await invoice_reads.invoice_pdf(session, resources.quickbooks, org, qbo_id)
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
