"""Named queries of reconciliation: webhook receipts, the organizations of a realm, remote
records, sweep cursors and drift mismatches."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, case, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.connections.models import ConnectionStatus, QuickBooksConnection
from qbsync.db.base import utcnow
from qbsync.reconcile.models import (
    Mismatch,
    MismatchState,
    RemoteRecord,
    SweepCursor,
    WebhookReceipt,
)
from qbsync.sync.models import Mapping


async def take_receipts(session: AsyncSession, receipts: Sequence[tuple[str, str]]) -> set[str]:
    """Record (event key, realm) pairs; the keys returned are the ones not seen before."""
    if not receipts:
        return set()
    statement = (
        insert(WebhookReceipt)
        .values([{"event_key": key, "realm_id": realm} for key, realm in receipts])
        .on_conflict_do_nothing(index_elements=[WebhookReceipt.event_key])
        .returning(WebhookReceipt.event_key)
    )
    return set((await session.scalars(statement)).all())


async def purge_receipts(session: AsyncSession, *, older_than: datetime) -> int:
    result = await session.execute(
        delete(WebhookReceipt).where(WebhookReceipt.received_at < older_than)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def organizations_of_realms(
    session: AsyncSession, realm_ids: Iterable[str]
) -> dict[str, list[int]]:
    """The connected organizations of each realm (more than one only when an operator allowed
    a shared company)."""
    rows = await session.execute(
        select(QuickBooksConnection.realm_id, QuickBooksConnection.organization_id).where(
            QuickBooksConnection.realm_id.in_(set(realm_ids)),
            QuickBooksConnection.status != ConnectionStatus.DISCONNECTED,
        )
    )
    owners: dict[str, list[int]] = {}
    for realm_id, organization_id in rows:
        owners.setdefault(realm_id, []).append(organization_id)
    return owners


async def mappings_of(
    session: AsyncSession, realm_id: str, keys: Iterable[tuple[str, str]]
) -> dict[tuple[int, str, str], Mapping]:
    """Mappings of (entity type, QuickBooks id) pairs in one realm, by (org, type, qbo id)."""
    wanted = list(set(keys))
    if not wanted:
        return {}
    rows = await session.scalars(
        select(Mapping).where(
            Mapping.realm_id == realm_id,
            tuple_(Mapping.entity_type, Mapping.quickbooks_id).in_(wanted),
        )
    )
    return {(m.organization_id, m.entity_type, m.quickbooks_id): m for m in rows}


async def mapping_of(
    session: AsyncSession,
    *,
    organization_id: int,
    realm_id: str,
    entity_type: str,
    quickbooks_id: str,
) -> Mapping | None:
    found: Mapping | None = await session.scalar(
        select(Mapping).where(
            Mapping.organization_id == organization_id,
            Mapping.realm_id == realm_id,
            Mapping.entity_type == entity_type,
            Mapping.quickbooks_id == quickbooks_id,
        )
    )
    return found


async def mappings_of_organization(
    session: AsyncSession, *, organization_id: int, realm_id: str, entity_type: str
) -> list[Mapping]:
    rows = await session.scalars(
        select(Mapping).where(
            Mapping.organization_id == organization_id,
            Mapping.realm_id == realm_id,
            Mapping.entity_type == entity_type,
        )
    )
    return list(rows)


async def save_remote(
    session: AsyncSession,
    *,
    realm_id: str,
    entity_type: str,
    quickbooks_id: str,
    status: str,
    sync_token: str | None = None,
    total: Decimal | None = None,
    balance: Decimal | None = None,
    merged_into: str | None = None,
    last_updated_at: datetime | None = None,
) -> None:
    """Keep the newest thing learned: an older observation (a reordered event) never
    overwrites a newer one."""
    values = {
        "realm_id": realm_id,
        "entity_type": entity_type,
        "quickbooks_id": quickbooks_id,
        "status": status,
        "sync_token": sync_token,
        "total": total,
        "balance": balance,
        "merged_into": merged_into,
        "last_updated_at": last_updated_at,
    }
    statement = insert(RemoteRecord).values(values)
    incoming = statement.excluded
    newer = or_(
        RemoteRecord.last_updated_at.is_(None),
        incoming.last_updated_at.is_(None),
        incoming.last_updated_at >= RemoteRecord.last_updated_at,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[
                RemoteRecord.realm_id,
                RemoteRecord.entity_type,
                RemoteRecord.quickbooks_id,
            ],
            set_={
                **{name: getattr(incoming, name) for name in values if name != "quickbooks_id"},
                "updated_at": func.now(),
            },
            where=newer,
        )
    )


async def remote_records(
    session: AsyncSession, *, realm_id: str, entity_type: str, quickbooks_ids: Iterable[str]
) -> dict[str, RemoteRecord]:
    ids = list(set(quickbooks_ids))
    if not ids:
        return {}
    rows = await session.scalars(
        select(RemoteRecord).where(
            RemoteRecord.realm_id == realm_id,
            RemoteRecord.entity_type == entity_type,
            RemoteRecord.quickbooks_id.in_(ids),
        )
    )
    return {row.quickbooks_id: row for row in rows}


async def get_cursor(
    session: AsyncSession, *, organization_id: int, realm_id: str
) -> SweepCursor | None:
    cursor: SweepCursor | None = await session.get(
        SweepCursor, (organization_id, realm_id), with_for_update=True
    )
    return cursor


async def save_cursor(
    session: AsyncSession,
    *,
    organization_id: int,
    realm_id: str,
    changed_since: datetime,
    changes: int,
) -> None:
    now = utcnow()
    statement = insert(SweepCursor).values(
        organization_id=organization_id,
        realm_id=realm_id,
        changed_since=changed_since,
        last_swept_at=now,
        last_changes=changes,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[SweepCursor.organization_id, SweepCursor.realm_id],
            set_={
                "changed_since": statement.excluded.changed_since,
                "last_swept_at": now,
                "last_changes": changes,
                "updated_at": now,
            },
        )
    )


async def sweeps_due(session: AsyncSession, *, swept_before: datetime) -> list[tuple[int, str]]:
    """Connected organizations whose company was not swept since ``swept_before``."""
    rows = await session.execute(
        select(QuickBooksConnection.organization_id, QuickBooksConnection.realm_id)
        .outerjoin(
            SweepCursor,
            and_(
                SweepCursor.organization_id == QuickBooksConnection.organization_id,
                SweepCursor.realm_id == QuickBooksConnection.realm_id,
            ),
        )
        .where(
            QuickBooksConnection.status == ConnectionStatus.ACTIVE,
            or_(SweepCursor.last_swept_at.is_(None), SweepCursor.last_swept_at < swept_before),
        )
    )
    return [(org, realm) for org, realm in rows]


# --- mismatches -----------------------------------------------------------------------


async def list_mismatches(
    session: AsyncSession,
    *,
    organization_id: int,
    states: Sequence[str] | None = None,
    ids: Sequence[int] | None = None,
) -> list[Mismatch]:
    statement = select(Mismatch).where(Mismatch.organization_id == organization_id)
    if states:
        statement = statement.where(Mismatch.state.in_(list(states)))
    if ids is not None:
        statement = statement.where(Mismatch.id.in_(list(ids)))
    rows = await session.scalars(statement.order_by(Mismatch.entity_type, Mismatch.record_key))
    return list(rows)


async def upsert_mismatch(session: AsyncSession, mismatch: Mismatch) -> Mismatch:
    """Open (or refresh) a mismatch; one a person ignored stays ignored."""
    values = {
        "organization_id": mismatch.organization_id,
        "realm_id": mismatch.realm_id,
        "entity_type": mismatch.entity_type,
        "record_key": mismatch.record_key,
        "aforo_id": mismatch.aforo_id,
        "quickbooks_id": mismatch.quickbooks_id,
        "kind": mismatch.kind,
        "aforo_value": mismatch.aforo_value,
        "quickbooks_value": mismatch.quickbooks_value,
        "suggested_repair": mismatch.suggested_repair,
        "state": MismatchState.OPEN,
        "source": mismatch.source,
    }
    statement = insert(Mismatch).values(values)
    incoming = statement.excluded
    kept = Mismatch.state == MismatchState.IGNORED

    saved: Mismatch = (
        await session.scalars(
            statement.on_conflict_do_update(
                constraint="uq_quickbooks_drift_mismatch_record",
                set_={
                    "aforo_id": incoming.aforo_id,
                    "quickbooks_id": incoming.quickbooks_id,
                    "aforo_value": incoming.aforo_value,
                    "quickbooks_value": incoming.quickbooks_value,
                    "suggested_repair": incoming.suggested_repair,
                    "source": incoming.source,
                    "state": case((kept, Mismatch.state), else_=incoming.state),
                    "resolved_at": case((kept, Mismatch.resolved_at), else_=None),
                    "updated_at": func.now(),
                },
            )
            .returning(Mismatch)
            .execution_options(populate_existing=True)
        )
    ).one()
    return saved


async def resolve_mismatches(
    session: AsyncSession,
    *,
    organization_id: int,
    entity_type: str,
    record_key: str,
    keep_kinds: Iterable[str] = (),
) -> int:
    """Close the open mismatches of a record except ``keep_kinds`` (still found)."""
    kinds = list(keep_kinds)
    statement = update(Mismatch).where(
        Mismatch.organization_id == organization_id,
        Mismatch.entity_type == entity_type,
        Mismatch.record_key == record_key,
        Mismatch.state == MismatchState.OPEN,
    )
    if kinds:
        statement = statement.where(Mismatch.kind.not_in(kinds))
    result = await session.execute(
        statement.values(state=MismatchState.RESOLVED, resolved_at=func.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def set_mismatch_state(
    session: AsyncSession, mismatch_id: int, *, state: str, reason: str | None
) -> None:
    await session.execute(
        update(Mismatch)
        .where(Mismatch.id == mismatch_id)
        .values(
            state=state,
            reason=reason,
            resolved_at=None if state == MismatchState.OPEN else func.now(),
        )
    )


async def open_mismatch_counts(session: AsyncSession) -> dict[tuple[str, str], int]:
    """Open mismatches by (entity type, kind), for the gauge (never per organization)."""
    rows = await session.execute(
        select(Mismatch.entity_type, Mismatch.kind, func.count())
        .where(Mismatch.state == MismatchState.OPEN)
        .group_by(Mismatch.entity_type, Mismatch.kind)
    )
    return {(entity, kind): count for entity, kind, count in rows}


async def mapped_quickbooks_ids(
    session: AsyncSession, *, realm_id: str, entity_type: str
) -> set[str]:
    """Every QuickBooks id of ``entity_type`` any organization maps in the realm."""
    rows = await session.scalars(
        select(Mapping.quickbooks_id).where(
            Mapping.realm_id == realm_id, Mapping.entity_type == entity_type
        )
    )
    return set(rows)


async def mismatches_of_records(
    session: AsyncSession, *, organization_id: int, entity_type: str, record_keys: Sequence[str]
) -> list[Mismatch]:
    if not record_keys:
        return []
    rows = await session.scalars(
        select(Mismatch)
        .where(
            Mismatch.organization_id == organization_id,
            Mismatch.entity_type == entity_type,
            Mismatch.record_key.in_(list(set(record_keys))),
            Mismatch.state != MismatchState.RESOLVED,
        )
        .order_by(Mismatch.record_key, Mismatch.kind)
    )
    return list(rows)


async def get_mismatch(
    session: AsyncSession, *, organization_id: int, mismatch_id: int
) -> Mismatch | None:
    found: Mismatch | None = await session.scalar(
        select(Mismatch)
        .where(Mismatch.organization_id == organization_id, Mismatch.id == mismatch_id)
        .with_for_update()
    )
    return found
