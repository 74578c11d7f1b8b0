"""The CDC sweep of one organization's company: what changed in QuickBooks since the last
sweep, to catch what webhooks missed (Intuit loses and delays deliveries). Records qbsync
wrote last are recognised by their SyncToken and cost nothing more; each other change
becomes the same work a webhook event would."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.connections import repository as connections
from qbsync.connections.models import ConnectionStatus
from qbsync.db.base import utcnow
from qbsync.quickbooks.client import MAX_CDC_OBJECTS
from qbsync.quickbooks.schemas.base import QboEntity
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.quickbooks.schemas.names import Customer
from qbsync.quickbooks.schemas.payment import Payment
from qbsync.reconcile import repository
from qbsync.reconcile.flags import RecordRef, record_findings, unknown
from qbsync.reconcile.intake import RECEIPTS_KEPT
from qbsync.reconcile.work import CHANGE_KIND, ENTITY_TYPES, SWEEP_KIND, change_id
from qbsync.scheduler import repository as work_queue
from qbsync.scheduler.execution import Attempt
from qbsync.scheduler.models import Priority
from qbsync.sync.context import SyncDeps
from qbsync.sync.models import SyncAction, SyncStatus, SyncTrigger
from qbsync.sync.results import SyncResult

MODELS: list[type[QboEntity]] = [Customer, Invoice, Payment]
# A first sweep looks back a day; Intuit's CDC goes back 30 days at most.
FIRST_LOOK_BACK = timedelta(days=1)
MAX_LOOK_BACK = timedelta(days=29)
# Sweeps overlap a little: a change QuickBooks stamps just before our clock is not missed.
OVERLAP = timedelta(seconds=60)


def sweep_request(
    organization_id: int, realm_id: str, *, max_attempts: int
) -> work_queue.WorkRequest:
    return work_queue.WorkRequest(
        organization_id=organization_id,
        kind=SWEEP_KIND,
        aforo_id=realm_id,
        priority=Priority.BULK,
        trigger=SyncTrigger.BACKFILL,
        max_attempts=max_attempts,
    )


def _result(attempt: Attempt, status: SyncStatus, message: str) -> SyncResult:
    work = attempt.work
    return SyncResult(work.kind, work.aforo_id, status, SyncAction.NONE, None, message)


async def sweep(deps: SyncDeps, attempt: Attempt, session: AsyncSession) -> SyncResult:
    work = attempt.work
    connection = await connections.get_connection(session, work.organization_id)
    if (
        connection is None
        or connection.status != ConnectionStatus.ACTIVE
        or connection.realm_id != work.aforo_id
    ):
        return _result(attempt, SyncStatus.SKIPPED, "not connected to that company any more")
    realm_id = connection.realm_id
    now = utcnow()
    cursor = await repository.get_cursor(
        session, organization_id=work.organization_id, realm_id=realm_id
    )
    since = cursor.changed_since if cursor else now - FIRST_LOOK_BACK
    since = max(since, now - MAX_LOOK_BACK)
    qbo = deps.quickbooks.client(organization_id=work.organization_id, realm_id=realm_id)
    changes = await qbo.changes_since(since, MODELS)
    queued = unknown = own = 0
    mappings = await repository.mappings_of(
        session,
        realm_id,
        [(ENTITY_TYPES[name], qbo_id) for name, qbo_id in changes.deleted]
        + [(ENTITY_TYPES[r.entity_name], r.id or "") for r in changes.records],
    )

    async def enqueue(entity: str, qbo_id: str, operation: str) -> None:
        request = work_queue.WorkRequest(
            organization_id=work.organization_id,
            kind=CHANGE_KIND,
            aforo_id=change_id(entity, qbo_id),
            priority=Priority.BULK,
            trigger=SyncTrigger.BACKFILL,
            max_attempts=work.max_attempts,
            correlation_id=f"sweep:{work.id}",
            details={"realmId": realm_id, "operation": operation, "at": None},
        )
        await work_queue.enqueue(session, request)

    for name, qbo_id in changes.deleted:
        if (work.organization_id, ENTITY_TYPES[name], qbo_id) in mappings:
            await enqueue(name, qbo_id, "Delete")
            queued += 1
    latest = since
    for record in changes.records:
        assert record.id is not None
        if record.meta_data and record.meta_data.last_updated_time:
            latest = max(latest, record.meta_data.last_updated_time)
        mapping = mappings.get((work.organization_id, ENTITY_TYPES[record.entity_name], record.id))
        if mapping is not None and mapping.sync_token == getattr(record, "sync_token", None):
            own += 1
        elif mapping is not None or isinstance(record, Payment):
            await enqueue(record.entity_name, record.id, "Update")
            queued += 1
        else:
            await _unknown(session, work.organization_id, realm_id, record)
            unknown += 1
    full = len(changes) >= MAX_CDC_OBJECTS
    # A full answer may have cut the newest changes off: go on from the last one seen, now.
    next_since = latest if full else now - OVERLAP
    await repository.save_cursor(
        session,
        organization_id=work.organization_id,
        realm_id=realm_id,
        changed_since=next_since,
        changes=len(changes),
    )
    if full:
        await work_queue.enqueue(
            session,
            sweep_request(work.organization_id, realm_id, max_attempts=work.max_attempts),
        )
    return _result(
        attempt,
        SyncStatus.SUCCESS,
        f"CDC since {since.isoformat(timespec='seconds')}: {len(changes)} changes, "
        f"{own} qbsync's own, {queued} queued, {unknown} unknown to Aforo"
        + (" (more to come)" if full else ""),
    )


async def _unknown(session: AsyncSession, organization_id: int, realm_id: str, record: Any) -> None:
    ref = RecordRef(organization_id, realm_id, ENTITY_TYPES[record.entity_name], None, record.id)
    await record_findings(session, ref, [unknown(_describe(record))], source="SWEEP")


def _describe(record: Any) -> str:
    if isinstance(record, Invoice):
        return f"{record.doc_number or record.id} {record.total_amt}"
    if isinstance(record, Customer):
        return record.display_name or str(record.id)
    return str(record.id)


async def enqueue_sweeps(session: AsyncSession, *, interval_s: float, max_attempts: int) -> int:
    """A sweep for each connected organization not swept within ``interval_s``; webhook
    receipts older than any event still taken are purged on the way."""
    due = await repository.sweeps_due(
        session, swept_before=utcnow() - timedelta(seconds=interval_s)
    )
    for organization_id, realm_id in due:
        await work_queue.enqueue(
            session, sweep_request(organization_id, realm_id, max_attempts=max_attempts)
        )
    await repository.purge_receipts(session, older_than=utcnow() - RECEIPTS_KEPT)
    return len(due)
