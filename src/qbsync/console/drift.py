"""Drift: Aforo against QuickBooks for a period (totals on both sides, records missing on
either side, fields that differ) with the repairs: re-create, re-push, relink, ignore with a
reason; a sweep on demand and the report as CSV. The API builds the report (it reads Aforo
and QuickBooks), so the page paints first and the report follows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from qbsync.console.client import ApiError
from qbsync.console.pages import kind_slug, org_page_url, render_page
from qbsync.console.session import ConsoleDep, FormDep

router = APIRouter()

KINDS = {
    "MISSING_IN_QUICKBOOKS": "Deleted in QuickBooks",
    "NOT_IN_QUICKBOOKS": "Never reached QuickBooks",
    "UNKNOWN_TO_AFORO": "Only in QuickBooks",
    "AMOUNT": "Amount differs",
    "LINES": "Lines differ",
    "CUSTOMER": "Customer differs",
    "DATES": "Dates differ",
    "STATUS": "Status differs",
}
REPAIRS = {
    "RECREATE": "Re-create in QuickBooks",
    "REPUSH": "Write Aforo's version",
    "RELINK": "Relink",
    "IGNORE": "Ignore",
}
TOTALS = (("invoiced", "Invoiced"), ("credited", "Credited"), ("paid", "Paid"), ("open", "Open"))
# Refusals are carried back to the page in its URL: bounded.
MAX_NOTE = 1500


def month_range(today: date, back: int = 0) -> tuple[date, date]:
    """The calendar month ``back`` months before today's: (first day, last day)."""
    first = today.replace(day=1)
    for _ in range(back):
        first = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _period(start: str | None, end: str | None) -> tuple[date, date]:
    try:
        if start and end:
            return date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        pass
    return month_range(datetime.now(UTC).date())


def repairs_from_form(form: dict[str, str]) -> list[dict[str, Any]]:
    """A row's own button (``one`` = ``id:ACTION``) with that row's inputs, or the suggested
    repair of every ticked row (``pick``, ``suggested.<id>``)."""
    wanted: list[tuple[str, str]] = []
    if form.get("one"):
        mismatch, _, action = form["one"].partition(":")
        wanted.append((mismatch, action))
    else:
        for key, value in form.items():
            if key.startswith("pick.") and value:
                mismatch = key.removeprefix("pick.")
                wanted.append((mismatch, form.get(f"suggested.{mismatch}", "")))
    repairs = []
    for mismatch, action in wanted:
        if not (mismatch.isascii() and mismatch.isdigit()) or action not in REPAIRS:
            continue  # REVIEW and the like: nothing qbsync can do by itself
        repair: dict[str, Any] = {"mismatchId": int(mismatch), "action": action}
        for field, name in (("reason", "reason"), ("quickbooksId", "qbo"), ("aforoId", "aforo")):
            value = form.get(f"{name}.{mismatch}", "").strip()
            if value:
                repair[field] = value
        repairs.append(repair)
    return repairs


@router.get("/orgs/{org}/drift")
async def show_drift(
    request: Request,
    org: int,
    ctx: ConsoleDep,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    first, last = _period(start, end)
    region = request.headers.get("hx-target") == "report"
    view: dict[str, Any] = {
        "start": first,
        "end": last,
        "kinds": KINDS,
        "repairs": REPAIRS,
        "totals_names": TOTALS,
        "kind_slug": kind_slug,
        "done": request.query_params.get("done"),
        "note": request.query_params.get("note"),
    }
    today = datetime.now(UTC).date()
    view["ranges"] = [
        ("This month", *month_range(today)),
        ("Last month", *month_range(today, 1)),
        ("Two months ago", *month_range(today, 2)),
    ]
    if region:
        params = {"from": first.isoformat(), "to": last.isoformat()}
        answer = await ctx.api.call("GET", "/drift", org=org, params=params)
        if not answer.ok:
            raise ApiError(answer.status, answer.body)
        report = answer.body
        view["report"] = report
        view["open"] = [m for m in report["mismatches"] if m["state"] == "OPEN"]
        view["settled"] = [m for m in report["mismatches"] if m["state"] != "OPEN"]
    return render_page(
        request, ctx, org, "drift", "drift.html", regions={"report": "drift_report.html"}, **view
    )


@router.get("/orgs/{org}/drift.csv")
async def drift_csv(
    org: int,
    ctx: ConsoleDep,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    first, last = _period(start, end)
    params = {"from": first.isoformat(), "to": last.isoformat(), "format": "csv"}
    status, text, headers = await ctx.api.text("GET", "/drift", org=org, params=params)
    if status >= 400:
        raise ApiError(status, {"message": text[:300]})
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": headers.get("content-disposition", "attachment")},
    )


def _back(org: int, first: str, last: str, **extra: str) -> RedirectResponse:
    query = urlencode({"from": first, "to": last, **extra})
    return RedirectResponse(f"{org_page_url(org, 'drift')}?{query}", status_code=303)


@router.post("/orgs/{org}/drift/repairs")
async def repair(org: int, ctx: ConsoleDep, form: FormDep) -> Response:
    repairs = repairs_from_form(form)
    first, last = form.get("from", ""), form.get("to", "")
    if not repairs:
        return _back(
            org, first, last, note="Nothing to repair: tick a row whose repair qbsync can make."
        )
    answer = await ctx.api.act("POST", "/drift/repairs", org=org, json={"repairs": repairs})
    results = answer["results"]
    refused = [f"#{r['mismatchId']}: {r['message']}" for r in results if r["outcome"] == "REFUSED"]
    done = sum(1 for r in results if r["outcome"] != "REFUSED")
    extra = {"done": str(done)}
    if refused:
        extra["note"] = ("Refused — " + "; ".join(refused))[:MAX_NOTE]
    return _back(org, first, last, **extra)


@router.post("/orgs/{org}/drift/sweep")
async def sweep(org: int, ctx: ConsoleDep, form: FormDep) -> Response:
    await ctx.api.act("POST", "/drift/sweep", org=org)
    return _back(org, form.get("from", ""), form.get("to", ""), done="sweep")
