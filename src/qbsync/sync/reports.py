"""Named read-only queries over mappings for the UI's status, overview and invoice routes."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.connections import repository as connections
from qbsync.sync.models import Mapping


async def count_by_type(
    session: AsyncSession, *, organization_id: int, realm_id: str
) -> dict[str, int]:
    """How many mappings of each entity type the organization has in this company."""
    rows = await session.execute(
        select(Mapping.entity_type, func.count())
        .where(Mapping.organization_id == organization_id, Mapping.realm_id == realm_id)
        .group_by(Mapping.entity_type)
    )
    return dict(rows.all())


async def list_mappings(
    session: AsyncSession, *, organization_id: int, realm_id: str, entity_type: str
) -> list[Mapping]:
    """Oldest first, so that lists keep a stable order as new records are synced."""
    rows = await session.scalars(
        select(Mapping)
        .where(
            Mapping.organization_id == organization_id,
            Mapping.realm_id == realm_id,
            Mapping.entity_type == entity_type,
        )
        .order_by(Mapping.created_at, Mapping.id)
    )
    return list(rows)


async def mapped_aforo_ids(
    session: AsyncSession, *, organization_id: int, realm_id: str, entity_type: str
) -> set[str]:
    rows = await session.scalars(
        select(Mapping.aforo_id).where(
            Mapping.organization_id == organization_id,
            Mapping.realm_id == realm_id,
            Mapping.entity_type == entity_type,
        )
    )
    return set(rows)


async def find_owned(
    session: AsyncSession,
    *,
    organization_id: int,
    realm_id: str,
    entity_type: str,
    quickbooks_id: str,
) -> Mapping | None:
    """The mapping of a QBO record, only if it belongs to this organization.

    Routes that take a QBO id from a caller check ownership here, so an organization can
    never read another one's records by guessing ids."""
    result: Mapping | None = await session.scalar(
        select(Mapping)
        .where(
            Mapping.organization_id == organization_id,
            Mapping.realm_id == realm_id,
            Mapping.entity_type == entity_type,
            Mapping.quickbooks_id == quickbooks_id,
        )
        .order_by(Mapping.id)
        .limit(1)
    )
    return result


async def current_realm(session: AsyncSession, organization_id: int) -> str | None:
    """The company whose mappings count for the organization. A disconnected organization
    keeps its mappings (and its realm), so they are still reported."""
    connection = await connections.get_connection(session, organization_id)
    return connection.realm_id if connection is not None else None


async def mapped_ids(session: AsyncSession, organization_id: int, entity_type: str) -> set[str]:
    """The Aforo ids of ``entity_type`` mapped in the organization's current company."""
    realm_id = await current_realm(session, organization_id)
    if realm_id is None:
        return set()
    return await mapped_aforo_ids(
        session, organization_id=organization_id, realm_id=realm_id, entity_type=entity_type
    )
