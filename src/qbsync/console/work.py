"""Work: backfill jobs with their progress and ETA, parked messages, and (for operators) the
depth of the shared queues."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from qbsync.console.client import ApiError
from qbsync.console.pages import org_page_url, render_page
from qbsync.console.session import ConsoleDep, FormDep

router = APIRouter()

ENTITIES = ("customers", "invoices")


def eta(job: dict[str, Any], now: datetime | None = None) -> timedelta | None:
    """At the pace so far; None before anything finished or once nothing is pending."""
    finished = job["done"] + job["skipped"] + job["failed"]
    if not finished or not job["pending"]:
        return None
    elapsed = (now or datetime.now(UTC)) - datetime.fromisoformat(job["createdAt"])
    share: float = job["pending"] / finished
    return elapsed * share


def eta_text(remaining: timedelta | None) -> str:
    if remaining is None:
        return "—"
    seconds = int(remaining.total_seconds())
    if seconds < 60:
        return f"about {max(seconds, 1)} s"
    if seconds < 3600:
        return f"about {seconds // 60} min"
    return f"about {seconds // 3600} h {seconds % 3600 // 60} min"


def _jobs(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**job, "eta": eta_text(eta(job))} for job in body["items"]]


@router.get("/orgs/{org}/work")
async def show_work(request: Request, org: int, ctx: ConsoleDep) -> Response:
    jobs = _jobs(await ctx.api.get("/backfill", org=org))
    parked = await ctx.api.call("GET", "/dead-letters", org=org, params={"limit": 20})
    queues = await ctx.api.call("GET", "/queues") if ctx.person.operator else None
    return render_page(
        request,
        ctx,
        org,
        "work",
        "work.html",
        regions={"jobs": "work_jobs.html"},
        jobs=jobs,
        running=any(job["status"] in ("PLANNED", "RUNNING") for job in jobs),
        parked=parked.body if parked.ok else None,
        queues=queues.body["items"] if queues is not None and queues.ok else None,
        most=max((q["ready"] for q in queues.body["items"]), default=0)
        if queues is not None and queues.ok
        else 0,
        entities=ENTITIES,
        done=request.query_params.get("done"),
    )


@router.post("/orgs/{org}/work/backfill")
async def start_backfill(org: int, ctx: ConsoleDep, form: FormDep) -> Response:
    body: dict[str, Any] = {"entities": [e for e in ENTITIES if form.get(e)]}
    for field in ("from", "to"):
        if form.get(field):
            body[field] = f"{form[field]}T00:00:00Z"
    if not body["entities"]:
        raise ApiError(400, {"error": "invalid_input", "message": "choose what to backfill"})
    await ctx.api.act("POST", "/backfill", org=org, json=body)
    return RedirectResponse(org_page_url(org, "work") + "?done=backfill", 303)


@router.post("/orgs/{org}/work/replay-parked")
async def replay_parked(org: int, ctx: ConsoleDep, _form: FormDep) -> Response:
    await ctx.api.act("POST", "/dead-letters/replay", org=org)
    return RedirectResponse(org_page_url(org, "work") + "?done=replayed", 303)
