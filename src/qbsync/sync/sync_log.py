"""The sync log (``quickbooks_sync_log``): one row per sync attempt, per message the runner
parked on its own and per operator action on a parked message. ``write`` is its only
writer; everything that reads it goes through the functions below."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.db import direct
from qbsync.db.base import detached, table_of, utcnow
from qbsync.db.shared import shared
from qbsync.sync.models import SyncLog, SyncStatus


def storable(text: str) -> str:
    """Postgres text and JSONB cannot hold NUL; a hostile body must still leave its row (a
    recorder that fails keeps the message from being parked at all)."""
    return text.replace("\x00", "\\u0000")


async def write(
    session: AsyncSession,
    *,
    organization_id: int | None,
    entity_type: str,
    aforo_id: str,
    action: str,
    status: str,
    trigger: str,
    realm_id: str | None = None,
    quickbooks_id: str | None = None,
    attempt: int = 1,
    error_code: str | None = None,
    error_category: str | None = None,
    error_message: str | None = None,
    intuit_tid: str | None = None,
    request_payload: dict[str, Any] | None = None,
    response_payload: dict[str, Any] | None = None,
    duration_ms: int | None = None,
    correlation_id: str | None = None,
) -> SyncLog:
    """Add one row in the caller's unit of work (written now, so it has its id; a group
    member's row for its own record has an id reserved and is written with the group's
    others, db/shared.py). Text is made storable and cut to its column."""
    values = {
        "organization_id": organization_id,
        "realm_id": realm_id,
        "entity_type": entity_type,
        "aforo_id": aforo_id,
        "quickbooks_id": quickbooks_id,
        "action": action,
        "status": status,
        "trigger": trigger,
        "attempt": attempt,
        "error_code": error_code[:50] if error_code else None,
        "error_category": error_category,
        "error_message": storable(error_message) if error_message else error_message,
        "intuit_tid": intuit_tid,
        "request_payload": request_payload,
        "response_payload": response_payload,
        "duration_ms": duration_ms,
        "correlation_id": storable(correlation_id)[:100] if correlation_id else None,
        "created_at": utcnow(),
    }
    # One INSERT … RETURNING, without the ORM's flush (its bookkeeping cost more than the
    # row); the row is not in the session's identity map, which nothing here needs.
    group = shared(session)
    reserved = None
    if group is not None:
        reserved = group.prepared.pop(("log_id", organization_id, entity_type, aforo_id), None)
    if group is not None and reserved is not None:
        # A member of a group, on its own record: the id was taken with the record's lock
        # (sync/repository.prepare_group); the row is written with the group's others.
        log_id = reserved
        group.defer(_INSERT_WITH_ID, values | {"id": reserved})
    else:
        (row,) = await direct.fetch(session, _INSERT, values)
        log_id = row["id"]
    return detached(SyncLog, values | {"id": log_id})


_INSERT = direct.Direct(insert(table_of(SyncLog)).returning(table_of(SyncLog).c.id))
_INSERT_WITH_ID = direct.Direct(insert(table_of(SyncLog)))


@dataclass(frozen=True)
class LogFilter:
    organization_id: int | None = None
    entity_type: str | None = None
    aforo_ids: tuple[str, ...] | None = None  # any of these
    quickbooks_id: str | None = None
    status: str | None = None
    error_category: str | None = None
    trigger: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def list_logs(
    session: AsyncSession, filters: LogFilter, *, before_id: int | None, limit: int
) -> list[SyncLog]:
    """Newest first. Paging is keyed on the id, so rows added while an operator pages never
    shift or repeat what the next page shows."""
    query = select(SyncLog)
    conditions = {
        SyncLog.organization_id: filters.organization_id,
        SyncLog.entity_type: filters.entity_type,
        SyncLog.quickbooks_id: filters.quickbooks_id,
        SyncLog.status: filters.status,
        SyncLog.error_category: filters.error_category,
        SyncLog.trigger: filters.trigger,
    }
    for column, value in conditions.items():
        if value is not None:
            query = query.where(column == value)
    if filters.aforo_ids is not None:
        query = query.where(SyncLog.aforo_id.in_(filters.aforo_ids))
    if filters.since is not None:
        query = query.where(SyncLog.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(SyncLog.created_at < filters.until)
    if before_id is not None:
        query = query.where(SyncLog.id < before_id)
    rows = await session.scalars(query.order_by(SyncLog.id.desc()).limit(limit))
    return list(rows)


async def get_log(session: AsyncSession, log_id: int) -> SyncLog | None:
    return await session.get(SyncLog, log_id)


async def latest_logs_for(
    session: AsyncSession, *, organization_id: int, entity_type: str, aforo_id: str, limit: int = 5
) -> list[SyncLog]:
    rows = await session.scalars(
        select(SyncLog)
        .where(
            SyncLog.organization_id == organization_id,
            SyncLog.entity_type == entity_type,
            SyncLog.aforo_id == aforo_id,
        )
        .order_by(SyncLog.id.desc())
        .limit(limit)
    )
    return list(rows)


async def purge_logs(session: AsyncSession, *, older_than: datetime) -> int:
    result = await session.execute(delete(SyncLog).where(SyncLog.created_at < older_than))
    return int(getattr(result, "rowcount", 0) or 0)


async def refused_writes(
    session: AsyncSession, *, organization_id: int, entity_type: str, aforo_id: str
) -> int:
    """How many attempts on this entity QuickBooks refused with a fault (a numeric code): such
    a write did not happen, so the next one may use a new requestid (see writes.write_key)."""
    count: int | None = await session.scalar(
        select(func.count())
        .select_from(SyncLog)
        .where(
            SyncLog.organization_id == organization_id,
            SyncLog.entity_type == entity_type,
            SyncLog.aforo_id == aforo_id,
            SyncLog.status == "FAILED",
            SyncLog.error_code.regexp_match("^[0-9]+$"),
        )
    )
    return count or 0


@dataclass(frozen=True)
class Outcomes:
    """The latest status of each record a correlated run (a backfill) named itself."""

    done: int
    skipped: int
    failed: int
    retrying: int


async def outcomes_of_run(session: AsyncSession, correlation_prefix: str) -> Outcomes:
    """Rows whose correlation id is ``<prefix><their own aforo id>``: the targets of the run,
    not the dependencies synced on the way (they share the prefix, not the aforo id)."""
    correlated = SyncLog.correlation_id == func.concat(correlation_prefix, SyncLog.aforo_id)
    latest = (
        select(SyncLog.status)
        .where(SyncLog.correlation_id.startswith(correlation_prefix, autoescape=True), correlated)
        .order_by(SyncLog.correlation_id, SyncLog.id.desc())
        .ext(distinct_on(SyncLog.correlation_id))
        .subquery()
    )
    rows = await session.execute(select(latest.c.status, func.count()).group_by(latest.c.status))
    counts = {status: int(count) for status, count in rows}
    return Outcomes(
        done=counts.get(SyncStatus.SUCCESS, 0),
        skipped=counts.get(SyncStatus.SKIPPED, 0),
        failed=counts.get(SyncStatus.FAILED, 0),
        retrying=counts.get(SyncStatus.RETRYING, 0),
    )
