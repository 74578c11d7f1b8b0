"""Named queries for mappings and sync-log rows; all sync SQL lives here."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.db.base import utcnow
from qbsync.db.locks import lock_until_commit, try_lock_until_commit
from qbsync.quickbooks.batching import stepping_aside
from qbsync.sync.models import Mapping

# The payload hash a voided invoice's mapping keeps (see sync/invoices.py).
VOIDED = "void"


async def lock_entity(
    session: AsyncSession, *, organization_id: int, entity_type: str, aforo_id: str
) -> None:
    """Serialize work on one entity across every instance until the transaction ends."""
    name = f"{organization_id}:{entity_type}:{aforo_id}"
    if await try_lock_until_commit(session, name):
        return
    # Held by another sync until it commits: a batch of creates this sync takes part in
    # must not wait for it meanwhile (that holder may be waiting on the batch).
    with stepping_aside():
        await lock_until_commit(session, name)


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
