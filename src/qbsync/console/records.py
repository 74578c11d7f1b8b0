"""Records: customers, invoices and payments with their sync state, one record's timeline of
attempts with its diagnosis, and the actions on it (retry, replay, discard)."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from qbsync.console.client import ApiError
from qbsync.console.drift import KINDS as DRIFT_KINDS
from qbsync.console.drift import REPAIRS, repairs_from_form
from qbsync.console.pages import KINDS, kind_slug, org_page_url, page_context, render_page
from qbsync.console.session import ConsoleDep, FormDep
from qbsync.console.templating import render

router = APIRouter()

STATES = ("SYNCED", "PENDING", "FAILED", "PARKED", "DRIFT", "SKIPPED")
DONE = {
    "replayed": "The parked message was sent back to its queue; it is synced in a moment.",
    "discarded": "The parked message was discarded (the discard is in the timeline).",
    "repaired": "The repair was made or queued; it shows in the timeline.",
}


def split_hint(message: str | None) -> tuple[str | None, str | None]:
    """The sync log stores ``error — what to do``; the console shows them apart."""
    if not message:
        return None, None
    error, sep, hint = message.rpartition(" — ")
    return (error, hint) if sep else (message, None)


# The diagnosis names API routes; on the console the same step is a button.
_ROUTE_TO_BUTTON = (
    (
        re.compile(
            r"POST /api/quickbooks/sync-logs/(\d+|\{id\})/retry( or the manual sync route)?"
        ),
        "Retry now",
    ),
    (re.compile(r"POST /api/quickbooks/dead-letters/[^ ]+/replay"), "Replay"),
    (
        re.compile(r"POST /api/quickbooks/records/[^ ]+/resync(, or Force resync in the console)?"),
        "Force resync",
    ),
    (re.compile(r"POST /api/quickbooks/dead-letters/replay"), "Replay on each parked record"),
)


def console_steps(steps: list[str]) -> list[str]:
    for pattern, button in _ROUTE_TO_BUTTON:
        steps = [pattern.sub(f"“{button}”", step) for step in steps]
    return steps


def entity_number(aforo_id: str) -> str:
    """``CUST-5`` → ``5``, ``payment-PAY-1`` → ``PAY-1``: the id parked messages carry."""
    return aforo_id.split("-", 1)[1] if "-" in aforo_id else aforo_id


async def _parked_by_record(ctx: ConsoleDep, org: int) -> dict[tuple[str, str], list[Any]]:
    answer = await ctx.api.call("GET", "/dead-letters", org=org)
    parked: dict[tuple[str, str], list[Any]] = {}
    for message in answer.body.get("items", []) if answer.ok else []:
        key = (message.get("entityType") or "", message.get("entityId") or "")
        parked.setdefault(key, []).append(message)
    return parked


async def _drift_by_record(ctx: ConsoleDep, org: int) -> dict[tuple[str, str], list[Any]]:
    """Open mismatches (what reports, Intuit's webhooks and sweeps found) by record."""
    answer = await ctx.api.call("GET", "/drift/mismatches", org=org, params={"state": "OPEN"})
    drift: dict[tuple[str, str], list[Any]] = {}
    for mismatch in answer.body.get("items", []) if answer.ok else []:
        if mismatch.get("aforoId"):
            drift.setdefault((mismatch["entityType"], mismatch["aforoId"]), []).append(mismatch)
    return drift


@router.get("/orgs/{org}/records")
async def list_records(
    request: Request,
    org: int,
    ctx: ConsoleDep,
    kind: Annotated[str | None, Query()] = None,
    state: Annotated[str | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    entity_type = KINDS.get(kind or "")
    state = state.upper() if state and state.upper() in STATES else None
    params = {"entityType": entity_type, "q": q, "limit": 200}
    if state not in (None, "PARKED", "DRIFT"):  # those two the console knows, not /records
        params["state"] = state
    body, parked, drift = await asyncio.gather(
        ctx.api.get("/records", org=org, params=params),
        _parked_by_record(ctx, org),
        _drift_by_record(ctx, org),
    )
    rows = []
    for item in body["items"]:
        messages = parked.get((item["entityType"], entity_number(item["aforoId"])), [])
        drifted = drift.get((item["entityType"], item["aforoId"]), [])
        shown_state = "PARKED" if messages else "DRIFT" if drifted else item["state"]
        if state in ("PARKED", "DRIFT") and shown_state != state:
            continue
        error, hint = split_hint(item.get("errorMessage"))
        rows.append(
            {
                **item,
                "state": shown_state,
                "error": error,
                "hint": hint,
                "url": org_page_url(org, "records", kind_slug(item["entityType"]), item["aforoId"]),
            }
        )
    return render_page(
        request,
        ctx,
        org,
        "records",
        "records.html",
        regions={"records": "records_table.html"},
        rows=rows,
        kind=kind or "",
        state=state or "",
        q=q or "",
        kinds=KINDS,
        states=STATES,
    )


async def _timeline(ctx: ConsoleDep, org: int, entity_type: str, aforo_id: str) -> dict[str, Any]:
    params = {"entityType": entity_type, "aforoId": aforo_id, "limit": 50}
    return await ctx.api.get("/sync-logs", org=org, params=params)


@router.get("/orgs/{org}/records/{kind}/{aforo_id}")
async def show_record(
    request: Request,
    org: int,
    kind: str,
    aforo_id: str,
    ctx: ConsoleDep,
    outcome: Annotated[int | None, Query()] = None,
    done: Annotated[str | None, Query()] = None,
    resynced: Annotated[bool, Query()] = False,
) -> Response:
    entity_type = KINDS.get(kind)
    if entity_type is None:
        raise ApiError(404, {"error": "not_found", "message": f"no such record kind: {kind}"})
    # The diagnosis reads QuickBooks, Aforo and RabbitMQ: the timeline is read meanwhile.
    diagnosis, logs, drift = await asyncio.gather(
        ctx.api.get("/diagnose", org=org, params={"entityType": entity_type, "aforoId": aforo_id}),
        _timeline(ctx, org, entity_type, aforo_id),
        _drift_by_record(ctx, org),
    )
    if diagnosis["aforoId"] != aforo_id:  # asked as "5" rather than "CUST-5"
        logs = await _timeline(ctx, org, entity_type, diagnosis["aforoId"])
    attempts = []
    for attempt in logs["items"]:
        error, hint = split_hint(attempt.get("errorMessage"))
        attempts.append({**attempt, "error": error, "hint": hint})
    retryable = next((a for a in attempts if a["action"] not in ("REPLAY", "DISCARD")), None)
    result = next((a for a in attempts if outcome is not None and a["id"] == outcome), None)
    return render(
        request,
        "record.html",
        page_context(
            ctx,
            org,
            "records",
            kind=kind,
            entity_type=entity_type,
            aforo_id=diagnosis["aforoId"],
            diagnosis=diagnosis,
            next_steps=console_steps(diagnosis["nextSteps"]),
            attempts=attempts,
            retry_from=retryable,
            result=result,
            result_verb="Resynced" if resynced else "Retried",
            done=DONE.get(done or ""),
            refused=request.query_params.get("refused"),
            drift=drift.get((entity_type, diagnosis["aforoId"]), []),
            drift_kinds=DRIFT_KINDS,
            repairs=REPAIRS,
            url=org_page_url(org, "records", kind, diagnosis["aforoId"]),
        ),
    )


def _back(org: int, kind: str, aforo_id: str, **query: str | int) -> RedirectResponse:
    url = org_page_url(org, "records", kind, aforo_id)
    return RedirectResponse(f"{url}?{urlencode(query)}" if query else url, status_code=303)


@router.post("/orgs/{org}/records/{kind}/{aforo_id}/retry")
async def retry(org: int, kind: str, aforo_id: str, ctx: ConsoleDep, form: FormDep) -> Response:
    """Run the sync again now; the record page then shows the new attempt's outcome."""
    attempt = form.get("attempt", "")
    if not (attempt.isascii() and attempt.isdigit()):
        raise ApiError(400, {"error": "invalid_input", "message": "no attempt to retry"})
    answer = await ctx.api.call("POST", f"/sync-logs/{attempt}/retry", org=org)
    new_attempt = (answer.body.get("attempt") or {}).get("id")
    if new_attempt is None:
        raise ApiError(answer.status, answer.body)
    return _back(org, kind, aforo_id, outcome=int(new_attempt))


@router.post("/orgs/{org}/records/{kind}/{aforo_id}/resync")
async def resync(org: int, kind: str, aforo_id: str, ctx: ConsoleDep, _form: FormDep) -> Response:
    """Write the record again even if qbsync believes QuickBooks has it as it is."""
    entity_type = KINDS.get(kind, kind)
    path = f"/records/{entity_type}/{quote(aforo_id, safe='')}/resync"
    answer = await ctx.api.call("POST", path, org=org)
    new_attempt = (answer.body.get("attempt") or {}).get("id")
    if new_attempt is None:
        raise ApiError(answer.status, answer.body)
    return _back(org, kind, aforo_id, outcome=int(new_attempt), resynced=1)


@router.post("/orgs/{org}/records/{kind}/{aforo_id}/replay")
async def replay(org: int, kind: str, aforo_id: str, ctx: ConsoleDep, form: FormDep) -> Response:
    message = form.get("message", "")
    await ctx.api.act("POST", f"/dead-letters/{quote(message, safe='')}/replay", org=org)
    return _back(org, kind, aforo_id, done="replayed")


@router.post("/orgs/{org}/records/{kind}/{aforo_id}/discard")
async def discard(org: int, kind: str, aforo_id: str, ctx: ConsoleDep, form: FormDep) -> Response:
    message = form.get("message", "")
    await ctx.api.act("DELETE", f"/dead-letters/{quote(message, safe='')}", org=org)
    return _back(org, kind, aforo_id, done="discarded")


@router.post("/orgs/{org}/records/{kind}/{aforo_id}/repair")
async def repair(org: int, kind: str, aforo_id: str, ctx: ConsoleDep, form: FormDep) -> Response:
    """A drift repair of this record: its suggested one, a relink to another QuickBooks
    record, or an ignore with a reason (the drift screen's, one record at a time)."""
    repairs = repairs_from_form(form)
    if not repairs:
        raise ApiError(400, {"error": "invalid_input", "message": "no repair chosen"})
    answer = await ctx.api.act("POST", "/drift/repairs", org=org, json={"repairs": repairs})
    [result] = answer["results"]
    if result["outcome"] == "REFUSED":
        return _back(org, kind, aforo_id, refused=str(result["message"])[:500])
    return _back(org, kind, aforo_id, done="repaired")
