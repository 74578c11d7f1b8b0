"""Named queries for mappings and sync-log rows; all sync SQL lives here."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.db.base import utcnow
from qbsync.sync.models import Mapping, SyncLog


async def lock_entity(
    session: AsyncSession, *, organization_id: int, entity_type: str, aforo_id: str
) -> None:
    """Serialize work on one entity across every instance until the transaction ends."""
    digest = hashlib.blake2b(f"{organization_id}:{entity_type}:{aforo_id}".encode(), digest_size=8)
    key = int.from_bytes(digest.digest(), "big", signed=True)
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


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


async def add_log(session: AsyncSession, entry: SyncLog) -> SyncLog:
    session.add(entry)
    await session.flush()
    return entry


async def previous_attempts(
    session: AsyncSession, *, organization_id: int, entity_type: str, aforo_id: str, since: datetime
) -> int:
    count: int | None = await session.scalar(
        select(func.count())
        .select_from(SyncLog)
        .where(
            SyncLog.organization_id == organization_id,
            SyncLog.entity_type == entity_type,
            SyncLog.aforo_id == aforo_id,
            SyncLog.created_at >= since,
        )
    )
    return count or 0
