"""Activity: syncs and failures over time by error category, and the queues' depth."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from qbsync.console.charts import Series, stacked_bars
from qbsync.console.pages import render_page
from qbsync.console.session import ConsoleDep

router = APIRouter()

# Bottom up: what went through, then failures from the most to the least actionable.
SERIES = [
    Series("SUCCEEDED", "Succeeded", "#2e8b57"),
    Series("PERMANENT", "Permanent", "#b3261e"),
    Series("INVALID_INPUT", "Invalid input", "#8c4a1a"),
    Series("DEPENDENCY", "Dependency", "#1f5fa8"),
    Series("AUTH", "Auth", "#6b2fa0"),
    Series("NOT_CONNECTED", "Not connected", "#6c757d"),
    Series("TRANSIENT", "Transient", "#d49a00"),
    Series("UNCATEGORIZED", "Other failures", "#444444"),
]
RANGES = {24: "24 hours", 168: "7 days", 720: "30 days"}


def _label(start: str, bucket_seconds: int) -> str:
    moment = datetime.fromisoformat(start)
    return moment.strftime("%H:%M") if bucket_seconds < 86_400 else moment.strftime("%b %d")


def columns(body: dict[str, Any]) -> list[tuple[str, dict[str, int]]]:
    size = int(body["bucketSeconds"])
    return [
        (_label(bucket["start"], size), {"SUCCEEDED": bucket["succeeded"], **bucket["failed"]})
        for bucket in body["buckets"]
    ]


@router.get("/orgs/{org}/activity")
async def show_activity(
    request: Request, org: int, ctx: ConsoleDep, hours: Annotated[int, Query()] = 24
) -> Response:
    hours = hours if hours in RANGES else 24
    body = await ctx.api.get("/sync-activity", org=org, params={"hours": hours})
    data = columns(body)
    totals = {line.key: sum(values.get(line.key, 0) for _, values in data) for line in SERIES}
    return render_page(
        request,
        ctx,
        org,
        "activity",
        "activity.html",
        chart=stacked_bars(data, SERIES),
        series=[line for line in SERIES if totals[line.key] or line.key == "SUCCEEDED"],
        totals=totals,
        table=data,
        hours=hours,
        ranges=RANGES,
    )
