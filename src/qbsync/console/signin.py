"""Sign in with a JWT, sign out, and the organization picker for operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from qbsync.console.client import api_client
from qbsync.console.pages import org_page_url
from qbsync.console.session import (
    PRE_COOKIE,
    ConsoleDep,
    FormDep,
    check_csrf,
    clear_session,
    csrf_for,
    pre_session_value,
    read_form,
    set_pre_session,
    set_session,
)
from qbsync.console.templating import render

router = APIRouter()


def safe_next(value: str | None) -> str:
    """Only a console path: never an open redirect."""
    if value and value.startswith("/console/") and not value.startswith("/console//"):
        return value
    return "/console"


def _sign_in_page(
    request: Request, *, next_url: str, error: str | None = None, status_code: int = 200
) -> Response:
    pre = pre_session_value(request)
    response = render(
        request,
        "sign_in.html",
        {"next": next_url, "error": error, "csrf": csrf_for(request, f"pre:{pre}")},
        status_code=status_code,
    )
    set_pre_session(response, request, pre)
    return response


@router.get("/sign-in")
async def sign_in_form(
    request: Request, next_url: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    reason = request.query_params.get("expired")
    error = "Your session has expired or its token is no longer valid." if reason else None
    return _sign_in_page(request, next_url=safe_next(next_url), error=error)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await read_form(request)
    next_url = safe_next(form.get("next"))
    check_csrf(request, form, f"pre:{request.cookies.get(PRE_COOKIE, '')}")
    token = form.get("token", "").strip().removeprefix("Bearer ").strip()
    if not token:
        return _sign_in_page(request, next_url=next_url, error="Paste a token.", status_code=400)
    async with api_client(request.app, token, request.headers) as api:
        me = await api.call("GET", "/me")
    if not me.ok:
        message = me.body.get("message") or "The token was refused."
        return _sign_in_page(
            request, next_url=next_url, error=f"Not signed in: {message}", status_code=401
        )
    response = RedirectResponse(next_url, status_code=303)
    set_session(response, request, token)
    return response


@router.post("/sign-out")
async def sign_out(_form: FormDep) -> Response:
    response = RedirectResponse("/console/sign-in", status_code=303)
    clear_session(response)
    return response


@router.get("")
async def home(ctx: ConsoleDep) -> Response:
    if ctx.person.organization_id is not None and not ctx.person.operator:
        return RedirectResponse(org_page_url(ctx.person.organization_id, "records"), 303)
    return RedirectResponse("/console/orgs", 303)


@router.get("/orgs")
async def pick_org(
    request: Request, ctx: ConsoleDep, org: Annotated[str | None, Query()] = None
) -> Response:
    """Operators name any organization; a tenant only ever sees their own."""
    if org is not None and org.strip().isascii() and org.strip().isdigit():
        return RedirectResponse(org_page_url(int(org), "records"), 303)
    if not ctx.person.operator and ctx.person.organization_id is not None:
        return RedirectResponse(org_page_url(ctx.person.organization_id, "records"), 303)
    return render(
        request,
        "orgs.html",
        {
            "person": ctx.person,
            "csrf": ctx.csrf,
            "org": None,
            "section": None,
            "error": "Enter an organization id (a number)." if org is not None else None,
        },
    )
