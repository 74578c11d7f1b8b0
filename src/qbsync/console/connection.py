"""Connection: the QuickBooks company, the health of its tokens, connect and disconnect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from qbsync.console.client import ApiError
from qbsync.console.pages import org_page_url, render_page
from qbsync.console.session import ConsoleDep, FormDep

router = APIRouter()

# Intuit's refresh tokens last 100 days from their last use; warn well before.
REFRESH_WARNING = timedelta(days=14)


def token_health(status: dict[str, Any], now: datetime | None = None) -> tuple[str, str]:
    """(level, sentence): ``ok``, ``warn`` or ``bad``, and what it means for the person."""
    now = now or datetime.now(UTC)
    if status.get("status") == "NEEDS_REAUTH":
        return "bad", "Intuit no longer accepts the saved authorization: reconnect."
    if not status.get("connected"):
        return "bad", "Not connected: nothing is written to QuickBooks."
    for field, what in (
        ("refreshTokenHardExpiresAt", "The authorization reaches Intuit's 5-year limit"),
        ("refreshTokenExpiresAt", "The refresh token expires unless it is used"),
    ):
        value = status.get(field)
        if value and datetime.fromisoformat(value) - now < REFRESH_WARNING:
            return "warn", f"{what} on {value[:10]}: reconnect before then."
    return "ok", "Healthy: tokens are refreshed automatically."


@router.get("/orgs/{org}/connection")
async def show_connection(request: Request, org: int, ctx: ConsoleDep) -> Response:
    status = await ctx.api.get("/status", org=org)
    level, health = token_health(status)
    return render_page(
        request,
        ctx,
        org,
        "connection",
        "connection.html",
        regions={"status": "connection_status.html"},
        status=status,
        health_level=level,
        health=health,
        done=request.query_params.get("done"),
    )


@router.post("/orgs/{org}/connection/connect")
async def connect(org: int, ctx: ConsoleDep, _form: FormDep) -> Response:
    """Off to Intuit's consent page (the emulator's when run locally); its answer comes back
    to qbsync's callback, and the connection page sees the new status."""
    answer = await ctx.api.call("GET", "/connect", org=org)
    if not answer.ok or not answer.body.get("authUrl"):
        raise ApiError(answer.status, answer.body)
    return RedirectResponse(str(answer.body["authUrl"]), status_code=303)


@router.post("/orgs/{org}/connection/disconnect")
async def disconnect(org: int, ctx: ConsoleDep, _form: FormDep) -> Response:
    await ctx.api.act("POST", "/disconnect", org=org)
    return RedirectResponse(org_page_url(org, "connection") + "?done=disconnected", 303)
