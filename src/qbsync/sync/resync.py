"""A forced resync: write a record to QuickBooks again even though qbsync believes it is
unchanged (someone edited it in QuickBooks, or a write was lost on Intuit's side)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.sync import repository
from qbsync.sync.context import SyncDeps
from qbsync.sync.engine import SyncOptions, sync
from qbsync.sync.registry import Kind, parse_aforo_id
from qbsync.sync.results import SyncResult


async def forget_written(
    session: AsyncSession, *, organization_id: int, entity_type: str, aforo_id: str
) -> tuple[Kind, int | str]:
    """Make the record's next sync write it whatever its hash says; the kind and the key."""
    kind, key = parse_aforo_id(entity_type, aforo_id)
    await repository.forget_written_payload(
        session,
        organization_id=organization_id,
        entity_type=kind.entity_type,
        aforo_id=kind.aforo_id(key),
    )
    return kind, key


async def force_resync(
    session: AsyncSession,
    deps: SyncDeps,
    *,
    organization_id: int,
    entity_type: str,
    aforo_id: str,
    options: SyncOptions,
) -> SyncResult:
    """Sync the record now, writing Aforo's version over QuickBooks' whatever its hash says."""
    kind, key = await forget_written(
        session, organization_id=organization_id, entity_type=entity_type, aforo_id=aforo_id
    )
    return await sync(
        session, deps, organization_id=organization_id, kind=kind, aforo_id=key, options=options
    )
