"""A forced resync: write a record to QuickBooks again even though qbsync believes it is
unchanged (someone edited it in QuickBooks, or a write was lost on Intuit's side)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.sync import repository
from qbsync.sync.context import SyncDeps
from qbsync.sync.engine import SyncOptions, sync
from qbsync.sync.registry import parse_aforo_id
from qbsync.sync.results import SyncResult


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
    kind, key = parse_aforo_id(entity_type, aforo_id)
    await repository.forget_written_payload(
        session,
        organization_id=organization_id,
        entity_type=kind.entity_type,
        aforo_id=kind.aforo_id(key),
    )
    return await sync(
        session, deps, organization_id=organization_id, kind=kind, aforo_id=key, options=options
    )
