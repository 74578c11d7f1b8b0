"""A verified webhook delivery becomes pending work: each new event (not seen before, for a
realm an organization owns, not the echo of qbsync's own write) is one low-priority piece of
work per organization, committed with its receipt so that nothing is lost or taken twice."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.db.base import utcnow
from qbsync.reconcile import repository
from qbsync.reconcile.models import RemoteStatus
from qbsync.reconcile.notifications import Change, Delivery, Operation
from qbsync.reconcile.work import CHANGE_KIND, ENTITY_TYPES, change_id
from qbsync.scheduler import repository as work_queue
from qbsync.scheduler.models import Priority
from qbsync.scheduler.service import Scheduling
from qbsync.sync import repository as sync_repository
from qbsync.sync.models import Mapping, SyncTrigger

log = logging.getLogger(__name__)

# Events older than this are not taken: their receipts are purged by then, and CDC (30 days
# of look-back) has caught whatever they were about. A replayed old delivery does nothing.
RECEIPTS_KEPT = timedelta(days=30)
# A record qbsync does not know yet may be one it is creating right now (the webhook can
# arrive before the sync's mapping commits): look again a little later.
UNMAPPED_DELAY_S = 15.0


@dataclass
class Intake:
    events: int = 0
    queued: int = 0
    duplicates: int = 0
    stale: int = 0
    own_writes: int = 0
    unowned: int = 0  # for a realm no organization has connected
    ignored: int = 0
    malformed: int = 0


def is_own_write(change: Change, mapping: Mapping | None) -> bool:
    """The echo of qbsync's own write: nothing to reconcile, and no read spent on it."""
    if mapping is None:
        return False
    if change.operation == Operation.CREATE:
        return True
    if change.operation == Operation.VOID:
        return mapping.payload_hash == sync_repository.VOIDED
    if change.operation == Operation.UPDATE and change.occurred_at is not None:
        return change.occurred_at <= mapping.last_synced_at
    return False


def _details(change: Change) -> dict[str, Any]:
    details: dict[str, Any] = {
        "realmId": change.realm_id,
        "operation": change.operation.value,
        "at": change.occurred_at.isoformat() if change.occurred_at else None,
    }
    if change.deleted_id is not None:
        details["survivorId"] = change.qbo_id
    return details


def _subject(change: Change) -> str:
    """A merge is about the customer merged away: its mapping must move to the survivor."""
    if change.operation == Operation.MERGE and change.deleted_id is not None:
        return change.deleted_id
    return change.qbo_id


async def take_delivery(
    session: AsyncSession,
    scheduling: Scheduling,
    delivery: Delivery,
    *,
    now: datetime | None = None,
) -> Intake:
    intake = Intake(
        events=len(delivery.changes), ignored=delivery.ignored, malformed=delivery.malformed
    )
    cutoff = (now or utcnow()) - RECEIPTS_KEPT
    unique: dict[str, Change] = {}
    for change in delivery.changes:
        if change.occurred_at is not None and change.occurred_at < cutoff:
            intake.stale += 1
        elif change.key in unique:
            intake.duplicates += 1
        else:
            unique[change.key] = change
    # Sorted: concurrent deliveries sharing events lock their receipts in the same order.
    taken = await repository.take_receipts(
        session, sorted((key, change.realm_id) for key, change in unique.items())
    )
    intake.duplicates += len(unique) - len(taken)
    fresh = [change for key, change in unique.items() if key in taken]
    owners = await repository.organizations_of_realms(session, {c.realm_id for c in fresh})
    for realm_id in sorted({c.realm_id for c in fresh}):
        changes = [c for c in fresh if c.realm_id == realm_id]
        organizations = owners.get(realm_id, [])
        if not organizations:
            intake.unowned += len(changes)
            log.info(
                "webhook events for a realm no organization owns", extra={"realm_id": realm_id}
            )
            continue
        mappings = await repository.mappings_of(
            session, realm_id, [(ENTITY_TYPES[c.entity], _subject(c)) for c in changes]
        )
        # One piece of work per record and organization: many events for one record in a
        # delivery coalesce anyway; the latest says what happened last.
        work: dict[tuple[int, str], tuple[Change, bool]] = {}
        for change in changes:
            if change.operation == Operation.MERGE and change.deleted_id is not None:
                # Known now, whatever else is said about the merged-away customer later.
                await repository.save_remote(
                    session,
                    realm_id=realm_id,
                    entity_type=ENTITY_TYPES[change.entity],
                    quickbooks_id=change.deleted_id,
                    status=RemoteStatus.MERGED,
                    merged_into=change.qbo_id,
                    last_updated_at=change.occurred_at,
                )
            for organization_id in organizations:
                mapping = mappings.get(
                    (organization_id, ENTITY_TYPES[change.entity], _subject(change))
                )
                if is_own_write(change, mapping):
                    intake.own_writes += 1
                    continue
                intake.queued += 1
                key = (organization_id, change_id(change.entity, _subject(change)))
                if key not in work or _later(change, work[key][0]):
                    work[key] = (change, mapping is not None)
        # Sorted, for the same reason: concurrent deliveries enqueue the same rows in one order.
        for (organization_id, _), (change, mapped) in sorted(work.items()):
            await _enqueue(session, scheduling, organization_id, change, mapped=mapped)
    return intake


def _later(change: Change, than: Change) -> bool:
    if change.occurred_at is None or than.occurred_at is None:
        return True  # no times: the delivery's order
    return change.occurred_at >= than.occurred_at


async def _enqueue(
    session: AsyncSession,
    scheduling: Scheduling,
    organization_id: int,
    change: Change,
    *,
    mapped: bool,
) -> None:
    request = scheduling.request(
        organization_id=organization_id,
        kind=CHANGE_KIND,
        aforo_id=change_id(change.entity, _subject(change)),
        priority=Priority.BULK,
        trigger=SyncTrigger.WEBHOOK,
        correlation_id=change.key,
    )
    request = dataclasses.replace(
        request, details=_details(change), delay_s=0.0 if mapped else UNMAPPED_DELAY_S
    )
    await work_queue.enqueue(session, request)
