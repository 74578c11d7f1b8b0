"""Named queries of the settings change log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.sync_settings.models import SettingsChange


async def add_change(
    session: AsyncSession,
    *,
    organization_id: int,
    realm_id: str,
    changed_by: str | None,
    changes: dict[str, Any],
) -> SettingsChange:
    row = SettingsChange(
        organization_id=organization_id,
        realm_id=realm_id,
        changed_by=changed_by,
        changes=changes,
    )
    session.add(row)
    await session.flush()
    return row


async def list_changes(
    session: AsyncSession, *, organization_id: int, limit: int
) -> list[SettingsChange]:
    query = (
        select(SettingsChange)
        .where(SettingsChange.organization_id == organization_id)
        .order_by(SettingsChange.id.desc())
        .limit(limit)
    )
    return list(await session.scalars(query))
