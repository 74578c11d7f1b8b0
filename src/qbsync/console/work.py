"""Work: what waits to reach QuickBooks (this organization's and, for operators, everyone's),
the current run with its progress and ETA, queue depth and realm utilisation over time,
backfill jobs with their progress and ETA, parked messages, and the RabbitMQ queues."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from qbsync.console.charts import BarChart, Series, gauge, over_time, stacked_bars
from qbsync.console.client import ApiError
from qbsync.console.pages import org_page_url, render_page
from qbsync.console.session import Console, ConsoleDep, FormDep
from qbsync.console.trends import Depth, Run, Trends

router = APIRouter()

ENTITIES = ("customers", "invoices")
# Bottom up: what runs now, then what waits, most urgent first.
DEPTH_SERIES = [
    Series("running", "Running", "#2e8b57"),
    Series("interactive", "A person waits", "#6b2fa0"),
    Series("event", "Events", "#1f5fa8"),
    Series("bulk", "Backfill and reconciliation", "#8a939c"),
]
USE_SERIES = [Series("used", "of the minute's requests", "#1f5fa8")]
# How often the live part of the page refreshes: while work waits, and otherwise.
BUSY_POLL_S, IDLE_POLL_S = 5, 30
# Operators' table of organizations shows the busiest ones.
TOP_ORGS = 50


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


def duration_text(length: timedelta) -> str:
    seconds = int(length.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def _jobs(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**job, "eta": eta_text(eta(job))} for job in body["items"]]


def depth_chart(
    points: list[tuple[datetime, Depth]], start: datetime, end: datetime, *, width: int = 480
) -> BarChart:
    slices = over_time(points, start, end, size=lambda depth: depth.remaining)
    columns = [
        (
            at.strftime("%H:%M"),
            {line.key: getattr(depth, line.key) for line in DEPTH_SERIES} if depth else {},
        )
        for at, depth in slices
    ]
    return stacked_bars(columns, DEPTH_SERIES, width=width, height=200, labels=5)


def use_chart(
    points: list[tuple[datetime, int]], per_minute: int, start: datetime, end: datetime
) -> BarChart:
    slices = over_time(points, start, end, size=float)
    # A minute with any request shows at least 1 %: one batch request can carry 30 records,
    # and a realm at work must not look idle.
    columns = [
        (at.strftime("%H:%M"), {"used": max(1, round(100 * used / per_minute))} if used else {})
        for at, used in slices
    ]
    return stacked_bars(columns, USE_SERIES, width=480, height=200, labels=5, top=100, unit="%")


def run_view(run: Run | None, now: datetime) -> dict[str, Any] | None:
    if run is None:
        return None
    pace = run.pace_per_minute(now)
    return {
        "run": run,
        "percent": round(100 * run.share),
        "pace": None if pace is None else round(pace, 1),
        "eta": eta_text(run.eta(now)),
        "elapsed": duration_text((run.finished_at or now) - run.started_at),
    }


def budget_view(body: dict[str, Any], org: int) -> dict[str, Any]:
    """The month's billable reads for operators: every organization's against the budget,
    the forecast, the thresholds, and this organization's share by kind of read."""
    limit = body.get("budget") or 0
    marks = {}
    if body.get("softThreshold"):
        marks["optional reads wait"] = int(body["softThreshold"])
    if body.get("hardThreshold"):
        marks["only reads writes need"] = int(body["hardThreshold"])
    mine = next((o for o in body["organizations"] if o["organizationId"] == org), None)
    return {
        **body,
        "limit": limit,
        "gauge": gauge(body["used"], body["forecast"], limit, marks) if limit else None,
        "mine": mine,
        "top": body["organizations"][:10],
    }


def _summary(body: dict[str, Any], org: int) -> dict[str, Any]:
    mine = next((o for o in body["organizations"] if o["organizationId"] == org), None)
    return mine or {
        "organizationId": org,
        "pending": 0,
        "running": 0,
        "parked": 0,
        "oldestAt": None,
        "nextRunAt": None,
        "byPriority": {"interactive": 0, "event": 0, "bulk": 0},
    }


async def _live(request: Request, ctx: Console, org: int) -> dict[str, Any]:
    """The part of the page that follows the scheduler: pending work, the run, the charts."""
    trends: Trends | None = getattr(request.app.state, "console_trends", None)
    mine = _summary(await ctx.api.get("/pending-work", org=org), org)
    realm_id = (await ctx.api.get("/status", org=org)).get("realmId")
    everyone = None
    if ctx.person.operator:
        body = await ctx.api.get("/pending-work")
        ranked = sorted(body["organizations"], key=lambda o: -(o["pending"] + o["running"]))
        everyone = {**body, "organizations": ranked[:TOP_ORGS], "shown": len(ranked[:TOP_ORGS])}
    now = datetime.now(UTC)
    view: dict[str, Any] = {
        "mine": mine,
        "everyone": everyone,
        "realm_id": realm_id,
        "trends": trends,
        "busy": mine["pending"] + mine["running"] > 0
        or bool(everyone and everyone["pending"] + everyone["running"]),
    }
    if trends is None:
        return view
    start, end = trends.span(now)
    view |= {
        "since": start,
        "run": run_view(trends.runs.get(org), now),
        "depth": depth_chart(list(trends.depths.get(org, ())), start, end),
        "depth_all": depth_chart(list(trends.depths.get(None, ())), start, end, width=960)
        if everyone is not None
        else None,
        "use": use_chart(list(trends.realms.get(realm_id, ())), trends.per_minute, start, end)
        if realm_id
        else None,
        "realm_now": _used_now(trends, realm_id, now) if realm_id else 0,
        "realms": _busiest_realms(trends, now) if everyone is not None else None,
    }
    view["busy"] = view["busy"] or bool(view["run"] and view["run"]["run"].finished_at is None)
    return view


def _used_now(trends: Trends, lane: str, now: datetime) -> int:
    points = trends.realms.get(lane)
    if not points or now - points[-1][0] > timedelta(seconds=3 * trends.sample_s):
        return 0
    return points[-1][1]


def _busiest_realms(trends: Trends, now: datetime) -> list[dict[str, Any]]:
    used = {lane: _used_now(trends, lane, now) for lane in trends.realms}
    busiest = sorted((lane for lane in used if used[lane]), key=lambda lane: -used[lane])
    return [
        {"realm": lane, "used": used[lane], "percent": round(100 * used[lane] / trends.per_minute)}
        for lane in busiest[:20]
    ]


@router.get("/orgs/{org}/work")
async def show_work(request: Request, org: int, ctx: ConsoleDep) -> Response:
    region = request.headers.get("hx-target", "")
    view: dict[str, Any] = {
        "entities": ENTITIES,
        "done": request.query_params.get("done"),
        "depth_series": DEPTH_SERIES,
    }
    view["poll_s"] = IDLE_POLL_S
    if region in ("", "jobs"):
        jobs = _jobs(await ctx.api.get("/backfill", org=org))
        view |= {
            "jobs": jobs,
            "running": any(job["status"] in ("PLANNED", "RUNNING") for job in jobs),
        }
    if region in ("", "live"):
        view |= await _live(request, ctx, org)
        view["poll_s"] = BUSY_POLL_S if view["busy"] else IDLE_POLL_S
    if region == "":
        parked = await ctx.api.call("GET", "/dead-letters", org=org, params={"limit": 20})
        queues = await ctx.api.call("GET", "/queues") if ctx.person.operator else None
        items = queues.body["items"] if queues is not None and queues.ok else None
        budget = await ctx.api.call("GET", "/read-budget") if ctx.person.operator else None
        view["budget"] = budget_view(budget.body, org) if budget is not None and budget.ok else None
        view |= {
            "parked": parked.body if parked.ok else None,
            "queues": items,
            "most": max((q["ready"] for q in items or ()), default=0),
        }
    return render_page(
        request,
        ctx,
        org,
        "work",
        "work.html",
        regions={"jobs": "work_jobs.html", "live": "work_live.html"},
        **view,
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
