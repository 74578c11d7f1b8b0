"""Named queries on pending work: enqueue (coalescing), take due work, settle, park, replay."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Float,
    Integer,
    SmallInteger,
    String,
    Text,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.connections.models import QuickBooksConnection
from qbsync.db import direct
from qbsync.db.base import detached, table_of
from qbsync.db.shared import shared
from qbsync.scheduler.models import PendingWork, Priority, RealmLease, WorkResult, WorkState
from qbsync.scheduler.wakeups import CHANNEL


@dataclass(frozen=True)
class WorkRequest:
    """One request to sync a record; requests for the same record coalesce while pending."""

    organization_id: int
    kind: str
    aforo_id: str
    priority: Priority
    trigger: str
    max_attempts: int
    correlation_id: str | None = None
    details: dict[str, Any] | None = None
    keep_result: bool = False
    delay_s: float = 0.0


@dataclass(frozen=True)
class Enqueued:
    work_id: int
    lane: str
    coalesced: bool  # merged into a request that was already pending


async def enqueue(session: AsyncSession, request: WorkRequest) -> Enqueued:
    (queued,) = await enqueue_many(session, [request])
    return queued


async def enqueue_many(session: direct.Executor, requests: Sequence[WorkRequest]) -> list[Enqueued]:
    """Enqueue a batch, in order: one INSERT … ON CONFLICT for all of it (a record asked for
    twice in the batch takes a second round), then one statement for the realms' lease rows
    and notifications."""
    queued: dict[int, Enqueued] = {}
    for positions in _rounds(requests):
        batch = [requests[i] for i in positions]
        rows = await direct.fetch(session, _ENQUEUE, _enqueue_params(batch))
        by_record = {(r["organization_id"], r["kind"], r["aforo_id"]): r for r in rows}
        for i, request in zip(positions, batch, strict=True):
            row = by_record[(request.organization_id, request.kind, request.aforo_id)]
            queued[i] = Enqueued(work_id=row["id"], lane=row["lane"], coalesced=not row["inserted"])
    answers = [queued[i] for i in range(len(requests))]
    # The result of an earlier attempt of such a row is not the answer to this request.
    kept = [q.work_id for q, r in zip(answers, requests, strict=True) if r.keep_result]
    if kept:
        await session.execute(delete(WorkResult).where(WorkResult.work_id.in_(kept)))
    lanes: dict[str, bool] = {}
    for q, r in zip(answers, requests, strict=True):
        lanes[q.lane] = lanes.get(q.lane, False) or r.priority == Priority.INTERACTIVE
    ordered = sorted(lanes)
    await direct.execute(
        session,
        _LEASE_ROWS_AND_NOTIFY,
        {"lanes": ordered, "urgent": [lanes[lane] for lane in ordered], "channel": CHANNEL},
    )
    return answers


def _rounds(requests: Sequence[WorkRequest]) -> list[list[int]]:
    """Positions of the requests, each record at most once per round: one INSERT … ON
    CONFLICT DO UPDATE cannot touch a row twice."""
    rounds: list[list[int]] = []
    seen: dict[tuple[int, str, str], int] = {}
    for i, r in enumerate(requests):
        key = (r.organization_id, r.kind, r.aforo_id)
        n = seen.get(key, 0)
        seen[key] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(i)
    return rounds


def _enqueue_params(batch: Sequence[WorkRequest]) -> dict[str, list[Any]]:
    return {
        "organization_id": [r.organization_id for r in batch],
        "kind": [r.kind for r in batch],
        "aforo_id": [r.aforo_id for r in batch],
        "priority": [int(r.priority) for r in batch],
        "delay_s": [float(r.delay_s) for r in batch],
        "max_attempts": [r.max_attempts for r in batch],
        "trigger": [r.trigger for r in batch],
        "correlation_id": [r.correlation_id[:100] if r.correlation_id else None for r in batch],
        "details": [json.dumps(r.details) if r.details is not None else None for r in batch],
        "keep_result": [r.keep_result for r in batch],
    }


def _build_enqueue() -> Any:
    """The batch's rows come in as one array per column (one statement text whatever the
    batch's size); each goes to its realm's lane (or its organization's, not connected)."""
    work, connection = table_of(PendingWork), table_of(QuickBooksConnection)
    arrays = {
        "organization_id": BigInteger,
        "kind": Text,
        "aforo_id": Text,
        "priority": SmallInteger,
        "delay_s": Float,
        "max_attempts": Integer,
        "trigger": Text,
        "correlation_id": Text,
        "details": Text,  # JSON text: cast below (arrays of jsonb do not bind cleanly)
        "keep_result": Boolean,
    }
    incoming = (
        func.unnest(*(bindparam(name, type_=ARRAY(kind)) for name, kind in arrays.items()))
        .table_valued(*arrays, name="incoming")
        .render_derived()
    )
    realm = func.nullif(connection.c.realm_id, "")
    rows = select(
        incoming.c.organization_id,
        incoming.c.kind,
        incoming.c.aforo_id,
        func.coalesce(realm, func.concat("org:", incoming.c.organization_id)),
        incoming.c.priority,
        literal(WorkState.PENDING, String),
        func.now() + incoming.c.delay_s * literal_column("interval '1 second'"),
        incoming.c.max_attempts,
        incoming.c.trigger,
        incoming.c.correlation_id,
        cast(incoming.c.details, JSONB),
        incoming.c.keep_result,
    ).select_from(
        incoming.outerjoin(connection, connection.c.organization_id == incoming.c.organization_id)
    )
    new = insert(work).from_select(
        [
            "organization_id",
            "kind",
            "aforo_id",
            "lane",
            "priority",
            "state",
            "run_at",
            "max_attempts",
            "trigger",
            "correlation_id",
            "details",
            "keep_result",
        ],
        rows,
        # The other columns take their server defaults (counters 0, timestamps now()).
        include_defaults=False,
    )
    incoming_row, pending = new.excluded, work.c
    more_urgent = incoming_row.priority < pending.priority
    return new.on_conflict_do_update(
        index_elements=[pending.organization_id, pending.kind, pending.aforo_id],
        index_where=text("state = 'PENDING'"),
        set_={
            "priority": func.least(pending.priority, incoming_row.priority),
            # A new request means fresh data: it runs no later than it asks, even when the
            # pending one waits for a retry.
            "run_at": func.least(pending.run_at, incoming_row.run_at),
            "max_attempts": func.greatest(pending.max_attempts, incoming_row.max_attempts),
            "keep_result": pending.keep_result | incoming_row.keep_result,
            "details": func.coalesce(incoming_row.details, pending.details),
            "lane": incoming_row.lane,
            "trigger": case((more_urgent, incoming_row.trigger), else_=pending.trigger),
            "correlation_id": case(
                (more_urgent, incoming_row.correlation_id), else_=pending.correlation_id
            ),
            "coalesced": pending.coalesced + 1,
            "updated_at": func.now(),
        },
    ).returning(
        pending.id,
        pending.organization_id,
        pending.kind,
        pending.aforo_id,
        pending.lane,
        literal_column("xmax = 0").label("inserted"),
    )


_ENQUEUE = direct.Direct(_build_enqueue())


# The realms' lease rows, and a notification (sent at commit) for each realm nobody serves
# or where a person waits: a realm's holder takes its new work itself, without being told.
# A held lease is read FOR SHARE: a holder handing the realm back at this moment (its
# UPDATE) waits for this commit and then sees the new work, or this waits for the hand-back
# and then sees the realm free; without the lock each could miss the other and the work
# wait for an idle poll. Lanes come sorted, as ``renew_leases`` takes them, so that two
# transactions lock lease rows in one order and never deadlock.
_LEASE_ROWS_AND_NOTIFY = direct.Direct(
    text("""
WITH lease AS (
    INSERT INTO quickbooks_realm_lease (lane) SELECT unnest(CAST(:lanes AS text[]))
    ON CONFLICT DO NOTHING
)
SELECT pg_notify(:channel, x.lane)
FROM unnest(CAST(:lanes AS text[]), CAST(:urgent AS boolean[])) AS x(lane, urgent)
WHERE x.urgent OR NOT EXISTS (
    SELECT 1 FROM quickbooks_realm_lease l
    WHERE l.lane = x.lane AND l.holder IS NOT NULL AND l.lease_until > now()
    FOR SHARE)
""")
)


# --- leases ---------------------------------------------------------------------------

_DUE = "w.lane = l.lane AND w.state = 'PENDING' AND w.run_at <= now()"

_CLAIM_LANES = f"""
WITH picked AS (
    SELECT l.lane, l.holder AS old_holder, l.lease_until AS old_until
    FROM quickbooks_realm_lease l
    WHERE (l.holder IS NULL OR l.lease_until < now()) {{only}}
      AND EXISTS (SELECT 1 FROM quickbooks_pending_work w WHERE {_DUE} {{priority}})
    ORDER BY (SELECT min(w.priority) FROM quickbooks_pending_work w WHERE {_DUE}),
             l.last_served_at NULLS FIRST
    LIMIT :limit
    FOR UPDATE OF l SKIP LOCKED
)
UPDATE quickbooks_realm_lease l
SET holder = :holder, lease_until = now() + make_interval(secs => :lease_s),
    last_served_at = now()
FROM picked WHERE l.lane = picked.lane
RETURNING l.lane, l.recent_starts, l.paused_until, picked.old_holder,
          extract(epoch FROM picked.old_until) AS old_until
"""


@dataclass(frozen=True)
class Lease:
    lane: str
    recent_starts: list[float]
    paused_until: float | None
    # Set when the lease was taken over after it expired: its holder died or stalled, and
    # its pacing is known only up to its last renewal (epoch seconds of that lease's end).
    expired_until: float | None = None


async def claim_lanes(
    session: AsyncSession,
    *,
    holder: str,
    limit: int,
    lease_s: float,
    among: Sequence[str] | None = None,
    max_priority: Priority | None = None,
) -> list[Lease]:
    """Lease up to ``limit`` realms with due work whose lease is free or expired, the most
    urgent first, then least recently served first. Work a previous holder left running
    (it crashed, or lost its lease) is pending again for the new holder."""
    only = "AND l.lane = ANY(:among)" if among is not None else ""
    priority = "AND w.priority <= :max_priority" if max_priority is not None else ""
    statement = text(_CLAIM_LANES.format(only=only, priority=priority))
    params: dict[str, Any] = {"holder": holder, "limit": limit, "lease_s": lease_s}
    if among is not None:
        params["among"] = list(among)
    if max_priority is not None:
        params["max_priority"] = int(max_priority)
    rows = (await session.execute(statement, params)).all()
    leases = [
        Lease(
            r.lane,
            list(r.recent_starts or []),
            r.paused_until,
            float(r.old_until) if r.old_holder is not None and r.old_until is not None else None,
        )
        for r in rows
    ]
    if leases:
        await _back_to_pending(session, lanes=[lease.lane for lease in leases])
    return leases


_DROP_COVERED = """
DELETE FROM quickbooks_pending_work r
WHERE r.{column} = ANY(:values) AND r.state = 'RUNNING' AND EXISTS (
    SELECT 1 FROM quickbooks_pending_work p WHERE p.state = 'PENDING'
    AND p.organization_id = r.organization_id AND p.kind = r.kind
    AND p.aforo_id = r.aforo_id)
"""


async def _back_to_pending(
    session: AsyncSession,
    *,
    lanes: Sequence[str] = (),
    ids: Sequence[int] = (),
    unstarted: bool = False,
) -> None:
    """RUNNING work of these lanes (or these ids) that was never settled: pending again. A
    pending twin (a request that came in while it ran) already covers its record."""
    column, values, where = (
        ("lane", list(lanes), PendingWork.lane.in_(lanes))
        if lanes
        else ("id", list(ids), PendingWork.id.in_(ids))
    )
    await session.execute(text(_DROP_COVERED.format(column=column)), {"values": values})
    await session.execute(
        update(PendingWork)
        .where(where, PendingWork.state == WorkState.RUNNING)
        .values(
            state=WorkState.PENDING,
            claimed_by=None,
            # A take whose work never started does not count: the work is no repeat.
            claims=PendingWork.claims - 1 if unstarted else PendingWork.claims,
        )
    )


async def renew_leases(
    session: AsyncSession,
    *,
    holder: str,
    pacing: dict[str, tuple[list[float], float | None]],
    lease_s: float,
) -> set[str]:
    """Extend the leases still ours, saving each realm's recent pacing (what a successor
    reads if this process dies); the lanes missing from the answer were lost."""
    kept: set[str] = set()
    for lane, (starts, paused) in sorted(pacing.items()):  # the order enqueues lock in
        renewed = await session.scalar(
            update(RealmLease)
            .where(RealmLease.lane == lane, RealmLease.holder == holder)
            .values(
                lease_until=func.now() + timedelta(seconds=lease_s),
                recent_starts=starts,
                paused_until=paused,
            )
            .returning(RealmLease.lane)
        )
        if renewed is not None:
            kept.add(renewed)
    return kept


async def release_lease(
    session: AsyncSession,
    *,
    holder: str,
    lane: str,
    recent_starts: list[float],
    paused_until: float | None,
) -> float | None:
    """Hand the realm back; returns in how many seconds its next pending work is due (≤ 0:
    now; None: none is pending)."""
    await session.execute(
        update(RealmLease)
        .where(RealmLease.lane == lane, RealmLease.holder == holder)
        .values(
            holder=None,
            lease_until=None,
            last_served_at=func.now(),
            recent_starts=recent_starts,
            paused_until=paused_until,
        )
    )
    # Handed back with work left (its turn ended, or it came in as the holder looked):
    # instances with room are told, rather than left to find it at their next poll.
    due_in = await session.scalar(text(_NEXT_DUE_AND_NOTIFY), {"lane": lane, "channel": CHANNEL})
    return None if due_in is None else float(due_in)


# Due now: notify (the first due row answers, however long the realm's backlog). Otherwise
# the earliest of its pending rows, which are then all waiting out a delay (few).
_NEXT_DUE_AND_NOTIFY = """
WITH due AS (
    SELECT EXISTS (
        SELECT 1 FROM quickbooks_pending_work w
        WHERE w.lane = :lane AND w.state = 'PENDING' AND w.run_at <= now()) AS at_once)
SELECT CASE WHEN due.at_once THEN 0 ELSE (
           SELECT extract(epoch FROM min(w.run_at) - now()) FROM quickbooks_pending_work w
           WHERE w.lane = :lane AND w.state = 'PENDING') END,
       (SELECT pg_notify(:channel, :lane) WHERE due.at_once)
FROM due
"""


async def waiting_lanes(session: AsyncSession) -> int:
    """Realms with due work that nobody serves: other instances' (or our own) next turns."""
    count = await session.scalar(
        text(f"""
        SELECT count(*) FROM quickbooks_realm_lease l
        WHERE (l.holder IS NULL OR l.lease_until < now())
          AND EXISTS (SELECT 1 FROM quickbooks_pending_work w WHERE {_DUE})
        """)
    )
    return int(count or 0)


# --- taking and settling work ------------------------------------------------------------

_TAKE = """
WITH picked AS (
    SELECT w.id FROM quickbooks_pending_work w
    WHERE w.lane = :lane AND w.state = 'PENDING' AND w.run_at <= now() {priority}
      AND NOT EXISTS (
          SELECT 1 FROM quickbooks_pending_work r WHERE r.state = 'RUNNING'
          AND r.organization_id = w.organization_id AND r.kind = w.kind
          AND r.aforo_id = w.aforo_id)
    ORDER BY w.priority, w.run_at, w.id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE quickbooks_pending_work w
SET state = 'RUNNING', claimed_by = :holder, claims = w.claims + 1, updated_at = now()
FROM picked WHERE w.id = picked.id
RETURNING w.*
"""
# With and without a cap on priority: every scheduling pass runs one (db/direct.py).
_TAKE_ANY = direct.Direct(text(_TAKE.format(priority="")))
_TAKE_UP_TO = direct.Direct(text(_TAKE.format(priority="AND w.priority <= :max_priority")))
_WORK_COLUMNS = tuple(column.key for column in table_of(PendingWork).columns)


async def take_due(
    session: direct.Executor,
    *,
    lane: str,
    holder: str,
    limit: int,
    max_priority: Priority | None = None,
) -> list[PendingWork]:
    """Mark up to ``limit`` due items of a leased realm RUNNING, most urgent first. A record
    that is already running waits for that run to end."""
    params: dict[str, Any] = {"lane": lane, "holder": holder, "limit": limit}
    statement = _TAKE_ANY
    if max_priority is not None:
        statement = _TAKE_UP_TO
        params["max_priority"] = int(max_priority)
    rows = await direct.fetch(session, statement, params)
    # Detached, as the scheduler uses them: read once, changed only by statements of their own.
    taken = [detached(PendingWork, {key: row[key] for key in _WORK_COLUMNS}) for row in rows]
    return sorted(taken, key=lambda work: (work.priority, work.run_at, work.id))


_DELETE_WORK = direct.Direct(
    delete(table_of(PendingWork)).where(table_of(PendingWork).c.id == bindparam("work_id"))
)


async def finish(
    session: AsyncSession, work: PendingWork, *, result: dict[str, Any] | None
) -> None:
    """The attempt succeeded (or needs nothing more): the work is done."""
    group = shared(session)
    if group is not None:
        group.defer(_DELETE_WORK, {"work_id": work.id})  # with the group's others
    else:
        await direct.execute(session, _DELETE_WORK, {"work_id": work.id})
    if result is not None:
        await put_result(session, work.id, result)


async def retry_later(
    session: AsyncSession,
    work: PendingWork,
    *,
    delay_s: float,
    log_id: int | None,
    error: tuple[str, str, str],
    result: dict[str, Any] | None,
) -> None:
    """Pending again after ``delay_s``, one attempt more; a request that came in meanwhile
    (a pending twin) serves the record instead, sooner."""
    code, category, message = error
    try:
        async with session.begin_nested():
            await session.execute(
                update(PendingWork)
                .where(PendingWork.id == work.id)
                .values(
                    state=WorkState.PENDING,
                    priority=max(work.priority, Priority.EVENT),  # nobody waits for it now
                    run_at=func.now() + timedelta(seconds=delay_s),
                    attempts=PendingWork.attempts + 1,
                    keep_result=False,
                    claimed_by=None,
                    error_code=code[:50],
                    error_category=category[:20],
                    error_message=message,
                    last_log_id=log_id,
                )
            )
    except IntegrityError:
        await session.execute(delete(PendingWork).where(PendingWork.id == work.id))
    if result is not None:
        await put_result(session, work.id, result)


async def park(
    session: AsyncSession,
    work_id: int,
    *,
    reason: str,
    error: tuple[str, str, str],
    log_id: int | None = None,
    counted: bool = True,
) -> None:
    code, category, message = error
    await session.execute(
        update(PendingWork)
        .where(PendingWork.id == work_id)
        .values(
            state=WorkState.PARKED,
            attempts=PendingWork.attempts + (1 if counted else 0),
            keep_result=False,
            claimed_by=None,
            park_reason=reason,
            error_code=code[:50],
            error_category=category[:20],
            error_message=message,
            last_log_id=log_id,
            updated_at=func.now(),
        )
    )


async def put_back(
    session: AsyncSession, work_ids: Sequence[int], *, unstarted: bool = False
) -> None:
    """Work taken but not attempted (an outage, a shutdown): pending again, nothing counted.
    ``unstarted``: taken ahead and never started (a turn ended first): not even its take."""
    if work_ids:
        await _back_to_pending(session, ids=work_ids, unstarted=unstarted)


# --- results manual callers wait for --------------------------------------------------------


async def put_result(session: AsyncSession, work_id: int, result: dict[str, Any]) -> None:
    statement = insert(WorkResult).values(work_id=work_id, result=result)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[WorkResult.work_id],
            set_={"result": statement.excluded.result, "created_at": func.now()},
        )
    )


async def get_result(session: AsyncSession, work_id: int) -> dict[str, Any] | None:
    row = await session.get(WorkResult, work_id, populate_existing=True)
    return row.result if row is not None else None


async def purge_results(session: AsyncSession, *, older_than: datetime) -> int:
    deleted = await session.execute(delete(WorkResult).where(WorkResult.created_at < older_than))
    return int(deleted.rowcount or 0)  # type: ignore[attr-defined]


# --- parked work: list, replay, discard -----------------------------------------------------


async def list_parked(
    session: AsyncSession,
    *,
    organization_id: int | None,
    limit: int,
    record: tuple[str, str] | None = None,
) -> list[PendingWork]:
    """Oldest first; ``record`` narrows to one (kind, Aforo id)."""
    statement = select(PendingWork).where(PendingWork.state == WorkState.PARKED)
    if organization_id is not None:
        statement = statement.where(PendingWork.organization_id == organization_id)
    if record is not None:
        statement = statement.where(
            PendingWork.kind == record[0], PendingWork.aforo_id == record[1]
        )
    rows = await session.scalars(
        statement.order_by(PendingWork.updated_at, PendingWork.id).limit(limit)
    )
    return list(rows)


async def get_parked(
    session: AsyncSession, work_id: int, *, organization_id: int | None
) -> PendingWork | None:
    statement = select(PendingWork).where(
        PendingWork.id == work_id, PendingWork.state == WorkState.PARKED
    )
    if organization_id is not None:
        statement = statement.where(PendingWork.organization_id == organization_id)
    row: PendingWork | None = await session.scalar(statement.with_for_update())
    return row


async def replay(session: AsyncSession, work: PendingWork, *, max_attempts: int) -> None:
    """Parked work runs again now with a fresh set of attempts (or joins a pending twin)."""
    try:
        async with session.begin_nested():
            await session.execute(
                update(PendingWork)
                .where(PendingWork.id == work.id)
                .values(
                    state=WorkState.PENDING,
                    run_at=func.now(),
                    attempts=0,
                    claims=0,
                    max_attempts=max_attempts,
                    park_reason=None,
                    updated_at=func.now(),
                )
            )
    except IntegrityError:
        await session.execute(delete(PendingWork).where(PendingWork.id == work.id))
    await direct.execute(
        session,
        _LEASE_ROWS_AND_NOTIFY,
        {"lanes": [work.lane], "urgent": [False], "channel": CHANNEL},
    )


async def discard(session: AsyncSession, work: PendingWork) -> None:
    await session.execute(delete(PendingWork).where(PendingWork.id == work.id))


# --- what is pending, for operators and metrics -------------------------------------------


@dataclass(frozen=True)
class PendingCount:
    organization_id: int
    priority: int
    state: str
    count: int
    oldest_at: datetime
    next_run_at: datetime | None


async def pending_counts(
    session: AsyncSession, *, organization_id: int | None = None
) -> list[PendingCount]:
    statement = select(
        PendingWork.organization_id,
        PendingWork.priority,
        PendingWork.state,
        func.count(),
        func.min(PendingWork.created_at),
        func.min(PendingWork.run_at).filter(PendingWork.state == WorkState.PENDING),
    ).group_by(PendingWork.organization_id, PendingWork.priority, PendingWork.state)
    if organization_id is not None:
        statement = statement.where(PendingWork.organization_id == organization_id)
    rows = await session.execute(statement.order_by(PendingWork.organization_id))
    return [PendingCount(*row) for row in rows]


@dataclass(frozen=True)
class DepthSample:
    priority: int
    state: str
    count: int
    oldest_at: datetime


async def depth_by_priority(session: AsyncSession) -> list[DepthSample]:
    rows = await session.execute(
        select(
            PendingWork.priority, PendingWork.state, func.count(), func.min(PendingWork.created_at)
        ).group_by(PendingWork.priority, PendingWork.state)
    )
    return [DepthSample(*row) for row in rows]
