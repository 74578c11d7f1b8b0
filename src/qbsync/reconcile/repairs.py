"""Repairs of drift mismatches, one or many at once: re-create, re-push, relink to a chosen
QuickBooks record, ignore with a reason. Each is logged in the sync log as its own action;
re-creating and re-pushing queue the record's sync (the scheduler runs it)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.connections import repository as connections
from qbsync.connections.tokens import ensure_usable
from qbsync.errors import Conflict, InvalidInput, NotFound, QbsyncError
from qbsync.quickbooks.errors import QuickBooksNotFound
from qbsync.quickbooks.reads import ReadPurpose, reads_for
from qbsync.quickbooks.schemas.base import QboEntity
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.quickbooks.schemas.names import Customer
from qbsync.quickbooks.schemas.payment import Payment
from qbsync.reconcile import repository
from qbsync.reconcile.models import Mismatch, MismatchKind, MismatchState, Repair
from qbsync.scheduler import repository as work_queue
from qbsync.scheduler.models import Priority
from qbsync.scheduler.service import Scheduling
from qbsync.sync import repository as sync_repository
from qbsync.sync.attempts import record
from qbsync.sync.context import LogScope, SyncDeps
from qbsync.sync.models import SyncAction, SyncStatus, SyncTrigger

_MODELS: dict[str, type[QboEntity]] = {"INVOICE": Invoice, "CUSTOMER": Customer, "PAYMENT": Payment}


class Outcome(StrEnum):
    QUEUED = "QUEUED"  # the record's sync is queued
    DONE = "DONE"
    REFUSED = "REFUSED"


@dataclass(frozen=True)
class RepairRequest:
    mismatch_id: int
    action: Repair
    quickbooks_id: str | None = None  # RELINK: the QuickBooks record to link
    aforo_id: str | None = None  # RELINK of a record unknown to Aforo: the Aforo record
    reason: str | None = None  # IGNORE


@dataclass(frozen=True)
class RepairResult:
    mismatch_id: int
    action: Repair
    outcome: Outcome
    message: str
    log_id: int | None = None
    work_id: int | None = None


async def apply_repairs(
    session: AsyncSession,
    deps: SyncDeps,
    scheduling: Scheduling,
    *,
    organization_id: int,
    requests: list[RepairRequest],
    subject: str | None,
) -> list[RepairResult]:
    """A person waits for one repair (its sync runs first); many run as bulk work."""
    priority = Priority.INTERACTIVE if len(requests) == 1 else Priority.BULK
    results: list[RepairResult] = []
    for request in requests:
        try:
            results.append(
                await _repair(
                    session, deps, scheduling, organization_id, request, priority, subject
                )
            )
        except QbsyncError as refused:
            results.append(
                RepairResult(request.mismatch_id, request.action, Outcome.REFUSED, str(refused))
            )
    return results


async def _repair(
    session: AsyncSession,
    deps: SyncDeps,
    scheduling: Scheduling,
    organization_id: int,
    request: RepairRequest,
    priority: Priority,
    subject: str | None,
) -> RepairResult:
    mismatch = await repository.get_mismatch(
        session, organization_id=organization_id, mismatch_id=request.mismatch_id
    )
    if mismatch is None:
        raise NotFound(f"no mismatch {request.mismatch_id} in this organization")
    if mismatch.state == MismatchState.RESOLVED:
        raise Conflict(f"mismatch {mismatch.id} is already resolved")
    who = f" by {subject}" if subject else ""
    if request.action == Repair.IGNORE:
        reason = (request.reason or "").strip()
        if not reason:
            raise InvalidInput("an ignore needs a reason")
        await repository.set_mismatch_state(
            session, mismatch.id, state=MismatchState.IGNORED, reason=reason[:1000]
        )
        return await _logged(session, mismatch, request, Outcome.DONE, f"ignored{who}: {reason}")
    if request.action == Repair.RELINK:
        return await _relink(
            session, deps, scheduling, organization_id, mismatch, request, priority, who
        )
    if request.action in (Repair.RECREATE, Repair.REPUSH):
        return await _resync(session, scheduling, mismatch, request, priority, who)
    raise InvalidInput(f"{request.action} is not a repair qbsync can make")


async def _resync(
    session: AsyncSession,
    scheduling: Scheduling,
    mismatch: Mismatch,
    request: RepairRequest,
    priority: Priority,
    who: str,
) -> RepairResult:
    if mismatch.aforo_id is None:
        raise InvalidInput(
            "a record unknown to Aforo cannot be written from Aforo: relink it or ignore it"
        )
    if mismatch.kind == MismatchKind.STATUS and mismatch.quickbooks_value == "VOIDED":
        raise Conflict(
            "QuickBooks cannot change a voided invoice: delete it in QuickBooks (qbsync then "
            "creates it again) or void it in Aforo too"
        )
    # Written again even though its hash says it is unchanged; gone in QuickBooks: created.
    await sync_repository.forget_written_payload(
        session,
        organization_id=mismatch.organization_id,
        entity_type=mismatch.entity_type,
        aforo_id=mismatch.aforo_id,
    )
    queued = await work_queue.enqueue(
        session,
        scheduling.request(
            organization_id=mismatch.organization_id,
            kind=mismatch.entity_type,
            aforo_id=mismatch.aforo_id,
            priority=priority,
            trigger=SyncTrigger.MANUAL,
            correlation_id=f"repair:{mismatch.id}",
        ),
    )
    verb = "re-create" if request.action == Repair.RECREATE else "re-push"
    return await _logged(
        session,
        mismatch,
        request,
        Outcome.QUEUED,
        f"{verb} of {mismatch.aforo_id} asked{who} ({mismatch.kind}); its sync is queued",
        work_id=queued.work_id,
    )


async def _relink(
    session: AsyncSession,
    deps: SyncDeps,
    scheduling: Scheduling,
    organization_id: int,
    mismatch: Mismatch,
    request: RepairRequest,
    priority: Priority,
    who: str,
) -> RepairResult:
    aforo_id = mismatch.aforo_id or request.aforo_id
    qbo_id = request.quickbooks_id or (None if mismatch.aforo_id else mismatch.quickbooks_id)
    if not aforo_id or not qbo_id or not qbo_id.isdigit():
        raise InvalidInput(
            "a relink names the QuickBooks id (and, for a record unknown to Aforo, the Aforo id)"
        )
    connection = ensure_usable(
        organization_id, await connections.get_connection(session, organization_id)
    )
    owner = await sync_repository.find_by_quickbooks_id(
        session,
        realm_id=connection.realm_id,
        entity_type=mismatch.entity_type,
        quickbooks_id=qbo_id,
    )
    if owner is not None and owner.aforo_id != aforo_id:
        raise Conflict(f"QuickBooks record {qbo_id} is already linked to {owner.aforo_id}")
    qbo = deps.quickbooks.client(organization_id=organization_id, realm_id=connection.realm_id)
    try:
        with reads_for(ReadPurpose.PERSON):
            chosen = await qbo.read(_MODELS[mismatch.entity_type], qbo_id)
    except QuickBooksNotFound:
        raise NotFound(f"QuickBooks has no {mismatch.entity_type.lower()} {qbo_id}") from None
    await sync_repository.save_mapping(
        session,
        organization_id=organization_id,
        realm_id=connection.realm_id,
        entity_type=mismatch.entity_type,
        aforo_id=aforo_id,
        quickbooks_id=qbo_id,
        sync_token=chosen.sync_token,
        payload_hash=None,
    )
    await repository.set_mismatch_state(
        session, mismatch.id, state=MismatchState.RESOLVED, reason=f"relinked to {qbo_id}"
    )
    # Aforo's version goes onto the chosen record now (its hash is unknown, so it is written).
    queued = await work_queue.enqueue(
        session,
        scheduling.request(
            organization_id=organization_id,
            kind=mismatch.entity_type,
            aforo_id=aforo_id,
            priority=priority,
            trigger=SyncTrigger.MANUAL,
            correlation_id=f"repair:{mismatch.id}",
        ),
    )
    return await _logged(
        session,
        mismatch,
        request,
        Outcome.QUEUED,
        f"{aforo_id} linked{who} to QuickBooks {mismatch.entity_type.lower()} {qbo_id}; "
        "Aforo's version is written onto it",
        aforo_id=aforo_id,
        quickbooks_id=qbo_id,
        work_id=queued.work_id,
    )


_ACTIONS = {
    Repair.RECREATE: SyncAction.RECREATE,
    Repair.REPUSH: SyncAction.REPUSH,
    Repair.RELINK: SyncAction.RELINK,
    Repair.IGNORE: SyncAction.IGNORE,
}


async def _logged(
    session: AsyncSession,
    mismatch: Mismatch,
    request: RepairRequest,
    outcome: Outcome,
    message: str,
    *,
    work_id: int | None = None,
    aforo_id: str | None = None,
    quickbooks_id: str | None = None,
) -> RepairResult:
    entry = await record(
        session,
        LogScope(
            mismatch.organization_id,
            mismatch.realm_id,
            SyncTrigger.MANUAL,
            correlation_id=f"repair:{mismatch.id}",
        ),
        entity_type=mismatch.entity_type,
        aforo_id=aforo_id or mismatch.aforo_id or mismatch.record_key,
        status=SyncStatus.SUCCESS,
        action=_ACTIONS[request.action],
        quickbooks_id=quickbooks_id or mismatch.quickbooks_id,
        note=message,
    )
    return RepairResult(
        mismatch.id, request.action, outcome, message, log_id=entry.id, work_id=work_id
    )
