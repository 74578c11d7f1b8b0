"""Named queries for mappings and sync-log rows; all sync SQL lives here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.db.base import utcnow
from qbsync.db.locks import lock_until_commit
from qbsync.sync.models import Mapping, SyncLog

# The payload hash a voided invoice's mapping keeps (see sync/invoices.py).
VOIDED = "void"


async def lock_entity(
    session: AsyncSession, *, organization_id: int, entity_type: str, aforo_id: str
) -> None:
    """Serialize work on one entity across every instance until the transaction ends."""
    await lock_until_commit(session, f"{organization_id}:{entity_type}:{aforo_id}")


async def get_mapping(
    session: AsyncSession, *, organization_id: int, realm_id: str, entity_type: str, aforo_id: str
) -> Mapping | None:
    result: Mapping | None = await session.scalar(
        select(Mapping).where(
            Mapping.organization_id == organization_id,
            Mapping.realm_id == realm_id,
            Mapping.entity_type == entity_type,
            Mapping.aforo_id == aforo_id,
        )
    )
    return result


async def find_by_quickbooks_id(
    session: AsyncSession, *, realm_id: str, entity_type: str, quickbooks_id: str
) -> Mapping | None:
    result: Mapping | None = await session.scalar(
        select(Mapping).where(
            Mapping.realm_id == realm_id,
            Mapping.entity_type == entity_type,
            Mapping.quickbooks_id == quickbooks_id,
        )
    )
    return result


async def save_mapping(
    session: AsyncSession,
    *,
    organization_id: int,
    realm_id: str,
    entity_type: str,
    aforo_id: str,
    quickbooks_id: str,
    sync_token: str | None,
    payload_hash: str | None,
) -> None:
    """Insert or update the mapping; every write bumps ``sync_version``."""
    now = utcnow()
    statement = insert(Mapping).values(
        organization_id=organization_id,
        realm_id=realm_id,
        entity_type=entity_type,
        aforo_id=aforo_id,
        quickbooks_id=quickbooks_id,
        sync_token=sync_token,
        payload_hash=payload_hash,
        sync_version=1,
        last_synced_at=now,
        created_at=now,
        updated_at=now,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["organization_id", "realm_id", "entity_type", "aforo_id"],
            set_={
                "quickbooks_id": statement.excluded.quickbooks_id,
                "sync_token": statement.excluded.sync_token,
                "payload_hash": statement.excluded.payload_hash,
                "sync_version": Mapping.sync_version + 1,
                "last_synced_at": now,
                "updated_at": now,
            },
        )
    )


async def forget_written_payload(
    session: AsyncSession, *, organization_id: int, entity_type: str, aforo_id: str
) -> int:
    """The next sync of this record writes it even if it looks unchanged (a forced resync):
    its mappings forget the hash of what was last written. A voided invoice stays void."""
    result = await session.execute(
        update(Mapping)
        .where(
            Mapping.organization_id == organization_id,
            Mapping.entity_type == entity_type,
            Mapping.aforo_id == aforo_id,
            Mapping.payload_hash.is_distinct_from(VOIDED),
        )
        .values(payload_hash=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def add_log(session: AsyncSession, entry: SyncLog) -> SyncLog:
    session.add(entry)
    await session.flush()
    return entry


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


async def list_mappings(
    session: AsyncSession,
    *,
    organization_id: int | None,
    entity_type: str | None,
    aforo_ids: tuple[str, ...] | None,
    quickbooks_id: str | None,
    limit: int,
) -> list[Mapping]:
    query = select(Mapping)
    if organization_id is not None:
        query = query.where(Mapping.organization_id == organization_id)
    if entity_type is not None:
        query = query.where(Mapping.entity_type == entity_type)
    if aforo_ids is not None:
        query = query.where(Mapping.aforo_id.in_(aforo_ids))
    if quickbooks_id is not None:
        query = query.where(Mapping.quickbooks_id == quickbooks_id)
    rows = await session.scalars(query.order_by(Mapping.id.desc()).limit(limit))
    return list(rows)


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


async def latest_decisive_log(
    session: AsyncSession, *, organization_id: int, entity_type: str, aforo_id: str
) -> SyncLog | None:
    """The newest attempt on the entity that was not itself skipped."""
    row: SyncLog | None = await session.scalar(
        select(SyncLog)
        .where(
            SyncLog.organization_id == organization_id,
            SyncLog.entity_type == entity_type,
            SyncLog.aforo_id == aforo_id,
            SyncLog.status != "SKIPPED",
        )
        .order_by(SyncLog.id.desc())
        .limit(1)
    )
    return row


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
