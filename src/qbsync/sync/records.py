"""The records qbsync has worked on, each with its sync state: the answer to "what is synced,
what is failing" without reading the log attempt by attempt."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, ScalarSelect, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.sync.models import Mapping, SyncAction, SyncLog, SyncStatus
from qbsync.sync.registry import kinds


def record_kinds() -> tuple[str, ...]:
    """The kinds a person asks about; items travel with the invoices that use them."""
    return tuple(kind.entity_type for kind in kinds() if kind.not_alone is None)


# Operators' actions on parked messages are logged, but they are not attempts at the record.
_NOT_ATTEMPTS = (SyncAction.REPLAY, SyncAction.DISCARD)


class RecordState(StrEnum):
    SYNCED = "SYNCED"
    PENDING = "PENDING"  # failed temporarily, retried automatically
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"  # nothing written, e.g. the organization was not connected


_STATE_OF_STATUS = {
    SyncStatus.SUCCESS: RecordState.SYNCED,
    SyncStatus.RETRYING: RecordState.PENDING,
    SyncStatus.FAILED: RecordState.FAILED,
    SyncStatus.SKIPPED: RecordState.SKIPPED,
}


@dataclass(frozen=True)
class RecordFilter:
    organization_id: int
    entity_type: str | None = None
    state: RecordState | None = None
    # Part of the Aforo id or the QuickBooks id, case-insensitive.
    search: str | None = None


@dataclass(frozen=True)
class RecordRow:
    entity_type: str
    aforo_id: str
    quickbooks_id: str | None
    state: RecordState
    latest: SyncLog


async def list_records(
    session: AsyncSession, filters: RecordFilter, *, limit: int
) -> list[RecordRow]:
    """Each record's latest attempt, most recent first."""
    latest_ids = (
        select(func.max(SyncLog.id))
        .where(
            SyncLog.organization_id == filters.organization_id,
            SyncLog.entity_type.in_(record_kinds()),
            SyncLog.action.not_in(_NOT_ATTEMPTS),
        )
        .group_by(SyncLog.entity_type, SyncLog.aforo_id)
    )
    if filters.entity_type is not None:
        latest_ids = latest_ids.where(SyncLog.entity_type == filters.entity_type)
    mapped_id = (
        select(Mapping.quickbooks_id)
        .where(
            Mapping.organization_id == filters.organization_id,
            Mapping.entity_type == SyncLog.entity_type,
            Mapping.aforo_id == SyncLog.aforo_id,
        )
        .order_by(Mapping.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = select(SyncLog, mapped_id).where(SyncLog.id.in_(latest_ids))
    if filters.search and filters.search.strip():
        pattern = f"%{_escape_like(filters.search.strip())}%"
        query = query.where(
            or_(
                SyncLog.aforo_id.ilike(pattern, escape="\\"),
                SyncLog.quickbooks_id.ilike(pattern, escape="\\"),
                mapped_id.ilike(pattern, escape="\\"),
            )
        )
    if filters.state is not None:
        query = query.where(_state_condition(filters.state, mapped_id))
    result = await session.execute(query.order_by(SyncLog.id.desc()).limit(limit))
    return [
        RecordRow(
            entity_type=log.entity_type,
            aforo_id=log.aforo_id,
            quickbooks_id=quickbooks_id or log.quickbooks_id,
            state=record_state(log.status, mapped=quickbooks_id is not None),
            latest=log,
        )
        for log, quickbooks_id in result.all()
    ]


def record_state(status: str, *, mapped: bool) -> RecordState:
    """A record with a mapping whose latest attempt was skipped (nothing changed) is synced."""
    if status == SyncStatus.SKIPPED and mapped:
        return RecordState.SYNCED
    return _STATE_OF_STATUS.get(SyncStatus(status), RecordState.FAILED)


def _state_condition(state: RecordState, mapped_id: ScalarSelect[str]) -> ColumnElement[bool]:
    if state == RecordState.SYNCED:
        return or_(
            SyncLog.status == SyncStatus.SUCCESS,
            and_(SyncLog.status == SyncStatus.SKIPPED, mapped_id.is_not(None)),
        )
    if state == RecordState.SKIPPED:
        return and_(SyncLog.status == SyncStatus.SKIPPED, mapped_id.is_(None))
    return SyncLog.status.in_([s for s, mapped in _STATE_OF_STATUS.items() if mapped == state])


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
