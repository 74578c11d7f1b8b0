"""Measuring from the outside: event outcomes and their times from the sync log, requests and
their arrival times from the emulator's request log, and the bounded wait for a run to end."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from bench.amqp import Published
from bench.stack import Stack
from bench.workload import OrgData, display_name
from qbo_emulator.realm import LoggedRequest
from qbsync.sync.mappers.customers import CUSTOMER_IDS
from qbsync.sync.mappers.invoices import INVOICE_IDS
from qbsync.sync.mappers.text import request_id

FINAL = {"SUCCESS", "SKIPPED", "FAILED"}


@dataclass(frozen=True)
class Outcome:
    status: str  # latest sync-log status of the event's own entity
    quickbooks_id: str | None
    error_code: str | None
    at: datetime
    # Logged under another event's correlation id: a request for the same record that this
    # event's request coalesced with (its parking, if any, is that event's too).
    coalesced: bool = False


async def outcomes(stack: Stack, published: list[Published]) -> dict[str, Outcome]:
    """The latest sync-log row of each event (by correlation id), for its own entity when
    the event names one: dependencies synced on the way share the correlation id.

    Requests for one record coalesce while pending (scheduler/repository.enqueue): the
    attempt that serves them is logged under one of their correlation ids. An event with no
    final row of its own (none, or RETRYING) is judged by its record's latest row, when that
    is final and was written after the event was published and after the event's own row.
    A FAILED row is final: if its work was not parked, that is a finding, not a twin."""
    wanted = {p.correlation_id: p.aforo_id for p in published}
    keyed = [p for p in published if p.organization_id and p.entity_type and p.aforo_id]
    connection = await stack.db()
    try:
        rows = await connection.fetch(
            """
            SELECT DISTINCT ON (correlation_id, aforo_id)
                correlation_id, aforo_id, status, quickbooks_id, error_code, created_at
            FROM quickbooks_sync_log WHERE correlation_id = ANY($1::text[])
            ORDER BY correlation_id, aforo_id, id DESC
            """,
            list(wanted),
        )
        latest = await connection.fetch(
            """
            SELECT DISTINCT ON (l.organization_id, l.entity_type, l.aforo_id)
                l.organization_id, l.entity_type, l.aforo_id, l.status, l.quickbooks_id,
                l.error_code, l.created_at
            FROM quickbooks_sync_log l
            JOIN unnest($1::bigint[], $2::text[], $3::text[]) AS r(org, entity, aforo)
                ON l.organization_id = r.org AND l.entity_type = r.entity
                AND l.aforo_id = r.aforo
            ORDER BY l.organization_id, l.entity_type, l.aforo_id, l.id DESC
            """,
            [p.organization_id for p in keyed],
            [p.entity_type for p in keyed],
            [p.aforo_id for p in keyed],
        )
    finally:
        await connection.close()
    found: dict[str, Outcome] = {}
    for row in rows:
        cid = row["correlation_id"]
        own = wanted.get(cid)
        if own is not None and row["aforo_id"] != own:
            continue
        outcome = Outcome(row["status"], row["quickbooks_id"], row["error_code"], row["created_at"])
        if cid not in found or outcome.at > found[cid].at:
            found[cid] = outcome
    by_record = {
        (r["organization_id"], r["entity_type"], r["aforo_id"]): Outcome(
            r["status"], r["quickbooks_id"], r["error_code"], r["created_at"]
        )
        for r in latest
    }
    for p in keyed:
        served = by_record.get((p.organization_id, p.entity_type, p.aforo_id))
        mine = found.get(p.correlation_id)
        if (
            served is not None
            and classify(mine) in ("missing", "pending")
            and classify(served) not in ("missing", "pending")
            and served.at.timestamp() >= p.at
            and (mine is None or served.at > mine.at)
        ):
            found[p.correlation_id] = dataclasses.replace(served, coalesced=True)
    return found


def classify(outcome: Outcome | None) -> str:
    """synced (its record is in QBO), skipped, parked, pending (not final yet) or missing."""
    if outcome is None:
        return "missing"
    if outcome.status in ("SUCCESS", "SKIPPED") and outcome.quickbooks_id:
        return "synced"
    if outcome.status == "SKIPPED":
        return "skipped"
    if outcome.status == "FAILED":
        return "parked"
    return "pending"


async def wait_settled(
    stack: Stack,
    published: list[Published],
    *,
    timeout_s: float,
    stall_s: float = 60.0,
    poll_s: float = 1.0,
) -> tuple[dict[str, Outcome], float, bool]:
    """Poll until every event has a final outcome, bounded by ``timeout_s`` and by
    ``stall_s`` without any progress (a stuck message must not hold the run). Returns the
    outcomes, the wall-clock time the last one was seen, and whether all of them settled."""
    deadline = time.monotonic() + timeout_s
    progress: tuple[tuple[int, float], float] = ((-1, 0.0), time.monotonic())
    while True:
        found = await outcomes(stack, published)
        classes = [classify(found.get(p.correlation_id)) for p in published]
        done = sum(1 for c in classes if c in ("synced", "skipped", "parked"))
        settled = done == len(published)
        # Progress is any new sync-log row (a RETRYING attempt counts), not only outcomes.
        latest = max((o.at.timestamp() for o in found.values()), default=0.0)
        if (done, latest) != progress[0]:
            progress = ((done, latest), time.monotonic())
        stalled = time.monotonic() - progress[1] > stall_s
        if settled or stalled or time.monotonic() > deadline:
            return found, time.time(), settled
        dead = [p for p in stack.processes if not p.alive and p.name.startswith("worker")]
        if dead and len(dead) == len([p for p in stack.processes if p.name.startswith("worker")]):
            return found, time.time(), False  # every worker died: waiting cannot help
        await asyncio.sleep(poll_s)


async def mapping_times(stack: Stack) -> dict[str, datetime]:
    """When each Aforo entity first reached QBO according to qbsync's own log (upper bound:
    the row is written after QBO answered)."""
    connection = await stack.db()
    try:
        rows = await connection.fetch(
            """
            SELECT aforo_id, min(created_at) AS at FROM quickbooks_sync_log
            WHERE status = 'SUCCESS' AND quickbooks_id IS NOT NULL GROUP BY aforo_id
            """
        )
    finally:
        await connection.close()
    return {row["aforo_id"]: row["at"] for row in rows}


class RealmRequests(BaseModel):
    realm_id: str
    total: int
    admitted: int  # answered by the company, i.e. not refused with 429
    throttled_429: int
    faults: dict[str, int]
    statuses: dict[str, int]
    by_operation: dict[str, int]  # "POST query", "POST customer", "POST invoice", …
    span_s: float  # first to last admitted request
    admitted_per_s: float


def request_stats(realm_id: str, log: list[LoggedRequest]) -> RealmRequests:
    statuses = Counter(str(entry.status) for entry in log)
    faults = Counter(entry.fault for entry in log if entry.fault)
    operations = Counter(
        f"{entry.method} {entry.path.split(f'/{realm_id}/', 1)[-1].split('/')[0]}" for entry in log
    )
    admitted = [entry for entry in log if entry.status != 429]
    # n requests started over a span make n - 1 intervals: (n - 1) / span is the rate.
    span = (admitted[-1].at - admitted[0].at).total_seconds() if len(admitted) > 1 else 0.0
    return RealmRequests(
        realm_id=realm_id,
        total=len(log),
        admitted=len(admitted),
        throttled_429=statuses.get("429", 0),
        faults=dict(faults),
        statuses=dict(statuses),
        by_operation=dict(operations.most_common()),
        span_s=round(span, 2),
        admitted_per_s=round((len(admitted) - 1) / span, 3) if span > 0 else 0.0,
    )


def _create_keys(realm_id: str, data: OrgData) -> dict[str, str]:
    """requestid -> Aforo id of each record's first create, as qbsync derives it (sync/writes.py
    ``write_key``: realm, entity, Aforo id, operation, and the number of refusals on record,
    0 on a first attempt). Only a lookup key: a formula change shows as fewer matches."""
    keys: dict[str, str] = {}
    for customer in data.customers:
        aforo_id = CUSTOMER_IDS.format(customer.customer_id)
        operation = f"create:{display_name(customer)}"
        keys[request_id(realm_id, "CUSTOMER", aforo_id, operation, 0)] = aforo_id
    for invoice in data.invoices:
        aforo_id = INVOICE_IDS.format(invoice.id)
        keys[request_id(realm_id, "INVOICE", aforo_id, "create", 0)] = aforo_id
    return keys


def create_request_times(
    realm_id: str, data: OrgData, log: list[LoggedRequest]
) -> dict[str, datetime]:
    """When QBO received the create that made each record (lower bound of the record's
    time: the emulator stamps a request on arrival, then waits its latency, then writes)."""
    keys = _create_keys(realm_id, data)
    found: dict[str, datetime] = {}
    for entry in log:
        named = keys.get(entry.requestid or "")
        if named and entry.status == 200 and named not in found:
            found[named] = entry.at
    return found


async def record_create_times(stack: Stack, data: OrgData) -> dict[str, datetime]:
    """MetaData.CreateTime of each expected record: whole seconds, cut down, so also a lower
    bound (by up to a second); the fallback where no create request could be matched."""
    names = {display_name(c): CUSTOMER_IDS.format(c.customer_id) for c in data.customers}
    numbers = {i.invoice_number: INVOICE_IDS.format(i.id) for i in data.invoices}
    found: dict[str, datetime] = {}
    for entity, key, index in (
        ("Customer", "DisplayName", names),
        ("Invoice", "DocNumber", numbers),
    ):
        for record in await stack.emulator.live(data.org.realm_id, entity):
            aforo_id = index.get(str(record.body.get(key)))
            created = (record.body.get("MetaData") or {}).get("CreateTime")
            if aforo_id and isinstance(created, str) and aforo_id not in found:
                found[aforo_id] = datetime.fromisoformat(created)
    return found


def percentiles(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"count": 0, "p50": None, "p90": None, "p99": None, "max": None}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {
        "count": len(ordered),
        "p50": pick(0.50),
        "p90": pick(0.90),
        "p99": pick(0.99),
        "max": round(ordered[-1], 1),
    }
