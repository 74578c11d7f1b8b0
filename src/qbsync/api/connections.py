"""/api/quickbooks connect, callback, disconnect and status, as the Aforo UI calls them."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from qbsync.api.auth import PrincipalDep, TenantDep
from qbsync.api.callback_page import render_page
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.connections import repository, service
from qbsync.errors import InvalidInput, QbsyncError

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/quickbooks", tags=["connections"])


@router.get("/connect")
async def connect(
    organization_id: TenantDep,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> dict[str, Any]:
    if principal.subject is not None and len(principal.subject) > service.MAX_USER_ID_LENGTH:
        raise InvalidInput(
            f"the token's sub claim is longer than {service.MAX_USER_ID_LENGTH} characters"
        )
    start = await service.start_connect(
        session,
        organization_id=organization_id,
        user_id=principal.subject,
        oauth=resources.quickbooks.oauth,
    )
    return {
        "authUrl": start.auth_url,
        "message": "Open authUrl to authorize QuickBooks access; the link expires in 10 minutes",
        "organizationId": organization_id,
        "expiresAt": start.expires_at.isoformat(),
    }


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


@router.get("/callback", response_model=None)
async def callback(request: Request, session: SessionDep, resources: ResourcesDep) -> Response:
    """Intuit's redirect. Failures are answered here (not raised) so that the consumed state
    is still committed: a denied or refused link can never be replayed."""
    settings = resources.settings.quickbooks
    params = dict(request.query_params)
    try:
        connected = await service.complete_callback(
            session,
            params=params,
            oauth=resources.quickbooks.oauth,
            cipher=resources.cipher,
            settings=settings,
            read_company_name=resources.quickbooks.read_company_name,
        )
    except QbsyncError as exc:
        log.info("oauth callback refused", extra={"code": exc.code})
        if _wants_json(request):
            body = {"status": "error", "error": exc.code, "message": exc.message, "hint": exc.hint}
            return JSONResponse(body, status_code=exc.status_code)
        if settings.ui_redirect_url is not None:
            return RedirectResponse(
                f"{settings.ui_redirect_url}?status=error&error={exc.code}", 302
            )
        page = render_page(
            ok=False, title="QuickBooks was not connected", message=exc.message, hint=exc.hint
        )
        return HTMLResponse(page, status_code=exc.status_code)

    company = connected.company_name or f"company {connected.realm_id}"
    if _wants_json(request):
        return JSONResponse(
            {
                "status": "success",
                "message": f"Connected to {company}",
                "realmId": connected.realm_id,
                "companyName": connected.company_name,
                "organizationId": connected.organization_id,
            }
        )
    if settings.ui_redirect_url is not None:
        return RedirectResponse(f"{settings.ui_redirect_url}?status=connected", 302)
    return HTMLResponse(
        render_page(
            ok=True,
            title="QuickBooks connected",
            message=f"Aforo is now connected to {company}.",
            hint="You can close this tab and return to Aforo.",
        )
    )


@router.post("/disconnect")
async def disconnect(
    organization_id: TenantDep, session: SessionDep, resources: ResourcesDep
) -> dict[str, Any]:
    was_connected = await service.disconnect(
        session,
        organization_id=organization_id,
        oauth=resources.quickbooks.oauth,
        cipher=resources.cipher,
    )
    return {
        "success": True,
        "status": "success",
        "message": "Disconnected from QuickBooks"
        if was_connected
        else "QuickBooks was not connected",
        "organizationId": organization_id,
    }


@router.get("/status")
async def status(organization_id: TenantDep, session: SessionDep) -> dict[str, Any]:
    return service.status_view(
        organization_id, await repository.get_connection(session, organization_id)
    )
