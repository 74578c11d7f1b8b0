"""/api/quickbooks connect, callback, disconnect and status, as the Aforo UI calls them.

The UI asks ``GET /connect`` with its bearer token (an XHR, which carries no cookies of
ours) and opens the ``authUrl`` it gets in a new tab. That URL is qbsync's own start page:
opening it binds the flow to that browser (an HttpOnly, SameSite=Lax nonce cookie), shows
which organization is being connected and for whom, and links on to Intuit. The callback
is accepted only from the browser holding the cookie, so a consent link or a callback URL
sent to somebody else cannot connect their company to the sender's organization.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from qbsync.api.auth import PrincipalDep, TenantDep
from qbsync.api.callback_page import render_page
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.api.errors import ERRORS
from qbsync.api.views import CamelModel, ConnectionStatusView
from qbsync.connections import repository, service
from qbsync.errors import Forbidden, InvalidInput, QbsyncError

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/quickbooks", tags=["connections"])

START_PATH = "/api/quickbooks/connect/start"


class ConnectStarted(CamelModel):
    auth_url: str
    message: str
    organization_id: int
    expires_at: str


class Connected(CamelModel):
    """The callback's answer to a client that asked for JSON (browsers get a page)."""

    status: str
    message: str
    realm_id: str
    company_name: str | None
    organization_id: int


class Disconnected(CamelModel):
    success: bool
    status: str
    message: str
    organization_id: int


@router.get("/connect", response_model=ConnectStarted, responses=ERRORS)
async def connect(
    organization_id: TenantDep,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    allow_shared_company: Annotated[bool, Query(alias="allowSharedCompany")] = False,
) -> ConnectStarted:
    if principal.subject is not None and len(principal.subject) > service.MAX_USER_ID_LENGTH:
        raise InvalidInput(
            f"the token's sub claim is longer than {service.MAX_USER_ID_LENGTH} characters"
        )
    if allow_shared_company and not principal.is_operator:
        raise Forbidden("only an operator may connect a company another organization uses")
    start = await service.start_connect(
        session,
        organization_id=organization_id,
        user_id=principal.subject,
        allow_shared_company=allow_shared_company,
    )
    base = str(resources.settings.server.public_base_url).rstrip("/")
    minutes = int(service.START_TTL.total_seconds() // 60)
    return ConnectStarted(
        auth_url=f"{base}{START_PATH}?{urlencode({'state': start.state})}",
        message=f"Open authUrl within {minutes} minutes to connect a QuickBooks company "
        f"to Aforo organization {organization_id}, and finish in that browser tab",
        organization_id=organization_id,
        expires_at=start.expires_at.isoformat(),
    )


@router.get("/connect/start", response_class=HTMLResponse)
async def connect_start(
    state: Annotated[str, Query(max_length=100)],
    session: SessionDep,
    resources: ResourcesDep,
) -> HTMLResponse:
    """The page ``authUrl`` opens: binds the flow to this browser and says what it does."""
    try:
        started = await service.open_start_link(
            session, state=state, oauth=resources.quickbooks.oauth
        )
    except QbsyncError as exc:
        refused = render_page(
            ok=False, title="QuickBooks was not connected", message=exc.message, hint=exc.hint
        )
        return HTMLResponse(refused, status_code=exc.status_code)
    who = f" by {started.user_id}" if started.user_id else ""
    page = HTMLResponse(
        render_page(
            ok=True,
            title="Connect QuickBooks to Aforo",
            message=f"You are connecting a QuickBooks company to Aforo organization "
            f"{started.organization_id}, as requested{who} at "
            f"{started.requested_at:%Y-%m-%d %H:%M} UTC.",
            hint="If you did not just click Connect in Aforo yourself, close this tab: "
            "continuing would let that organization write to your QuickBooks company.",
            action=("Continue to QuickBooks", started.authorize_url),
        ),
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )
    page.set_cookie(
        service.browser_cookie_name(state),
        started.nonce,
        max_age=int(service.STATE_TTL.total_seconds()),
        path=_callback_path(resources),
        secure=resources.settings.server.public_base_url.scheme == "https",
        httponly=True,
        samesite="lax",  # sent on Intuit's top-level redirect back, not on cross-site posts
    )
    return page


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


@router.get(
    "/callback",
    response_model=Connected,
    response_class=HTMLResponse,
    responses={200: {"content": {"application/json": {}}}, 302: {}, 400: {}},
)
async def callback(request: Request, session: SessionDep, resources: ResourcesDep) -> Response:
    """Intuit's redirect. Failures are answered here (not raised) so that the consumed state
    is still committed: a denied or refused link can never be replayed."""
    settings = resources.settings.quickbooks
    params = dict(request.query_params)
    cookie = service.browser_cookie_name(params["state"]) if params.get("state") else None
    try:
        connected = await service.complete_callback(
            session,
            params=params,
            browser_nonce=request.cookies.get(cookie) if cookie else None,
            oauth=resources.quickbooks.oauth,
            cipher=resources.cipher,
            settings=settings,
            verify_company=resources.quickbooks.verify_company,
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

    answer = _connected_answer(request, connected, settings.ui_redirect_url)
    if cookie is not None:  # the flow is over: the browser's nonce is of no further use
        answer.delete_cookie(cookie, path=_callback_path(resources))
    return answer


def _callback_path(resources: ResourcesDep) -> str:
    return urlsplit(str(resources.settings.quickbooks.redirect_uri)).path or "/"


def _connected_answer(
    request: Request, connected: service.Connected, ui_redirect_url: object | None
) -> Response:
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
    if ui_redirect_url is not None:
        return RedirectResponse(f"{ui_redirect_url}?status=connected", 302)
    return HTMLResponse(
        render_page(
            ok=True,
            title="QuickBooks connected",
            message=f"Aforo organization {connected.organization_id} is now connected to "
            f"{company}.",
            hint="You can close this tab and return to Aforo.",
        )
    )


@router.post("/disconnect", response_model=Disconnected, responses=ERRORS)
async def disconnect(
    organization_id: TenantDep, session: SessionDep, resources: ResourcesDep
) -> Disconnected:
    was_connected = await service.disconnect(
        session,
        organization_id=organization_id,
        oauth=resources.quickbooks.oauth,
        cipher=resources.cipher,
    )
    return Disconnected(
        success=True,
        status="success",
        message="Disconnected from QuickBooks" if was_connected else "QuickBooks was not connected",
        organization_id=organization_id,
    )


@router.get("/status", response_model=ConnectionStatusView, responses=ERRORS)
async def status(organization_id: TenantDep, session: SessionDep) -> ConnectionStatusView:
    return ConnectionStatusView.model_validate(
        service.status_view(
            organization_id, await repository.get_connection(session, organization_id)
        )
    )
