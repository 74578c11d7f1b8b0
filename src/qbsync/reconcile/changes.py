"""What a change QuickBooks reported means for one organization, decided from the record as
QuickBooks holds it now (never from the event alone: events come late, twice, out of order).

- deleted in QuickBooks: re-created (policy ``recreate``, the default, logged) or flagged;
- voided or edited against Aforo's truth: flagged as drift, or written over (``repush``);
- a payment applied in QuickBooks: the invoices it pays get their new balance;
- customers merged: the merged-away customer's mapping follows the survivor;
- a record no Aforo record maps to: reported as unknown to Aforo (no read spent on it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from qbsync.connections import repository as connections
from qbsync.connections.models import ConnectionStatus
from qbsync.db.base import utcnow
from qbsync.quickbooks.errors import QuickBooksNotFound
from qbsync.quickbooks.reads import ReadPurpose, reads_for
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.reconcile import repository
from qbsync.reconcile.compare import Difference, compare_invoice
from qbsync.reconcile.customers import handle_customer
from qbsync.reconcile.flags import flag, unknown_to_aforo
from qbsync.reconcile.models import Repair
from qbsync.reconcile.outcomes import Handler, Outcome, gone, save_invoice, skipped
from qbsync.reconcile.payments import handle_payment, payment_by_a_person
from qbsync.reconcile.work import ENTITY_TYPES, parse_change_id
from qbsync.scheduler import repository as work_queue
from qbsync.scheduler.execution import Attempt
from qbsync.scheduler.models import Priority
from qbsync.sync import repository as sync_repository
from qbsync.sync.attempts import run_attempt
from qbsync.sync.context import SyncContext, SyncDeps
from qbsync.sync.engine import SyncOptions
from qbsync.sync.models import EntityType, Mapping, SyncAction, SyncTrigger
from qbsync.sync.results import SyncResult, Written
from qbsync.sync.resync import force_resync

# At most one read per record in this long while its webhook events keep coming.
READ_INTERVAL_S = 10.0


async def handle_change(deps: SyncDeps, attempt: Attempt, session: Any) -> SyncResult:
    work = attempt.work
    details: dict[str, Any] = work.details or {}
    parsed = parse_change_id(work.aforo_id)
    if parsed is None:
        return skipped(attempt, f"{work.aforo_id!r} names no QuickBooks record qbsync watches")
    entity, qbo_id = parsed
    connection = await connections.get_connection(session, work.organization_id)
    if (
        connection is None
        or connection.status != ConnectionStatus.ACTIVE
        or connection.realm_id != details.get("realmId", connection.realm_id)
    ):
        return skipped(attempt, "the organization is no longer connected to that company")
    ctx = SyncContext(
        session=session,
        deps=deps,
        connection=connection,
        qbo=deps.quickbooks.client(
            organization_id=connection.organization_id, realm_id=connection.realm_id
        ),
        trigger=attempt.trigger,
        correlation_id=work.correlation_id,
        attempt=attempt.number,
        will_retry=attempt.will_retry,
    )
    entity_type = ENTITY_TYPES[entity]
    mapping = await repository.mapping_of(
        session,
        organization_id=ctx.organization_id,
        realm_id=ctx.realm_id,
        entity_type=entity_type,
        quickbooks_id=qbo_id,
    )
    if mapping is None:
        if entity == "Payment":
            return await payment_by_a_person(ctx, qbo_id, details, attempt)
        message = await unknown_to_aforo(ctx, entity_type, qbo_id, details.get("operation"))
        return skipped(attempt, message)
    if await _read_just_now(ctx, mapping, details, attempt):
        return skipped(
            attempt,
            f"read less than {READ_INTERVAL_S:.0f} s ago; looked at again once the events settle",
        )
    handler: Handler = {
        "Invoice": _invoice,
        "Customer": handle_customer,
        "Payment": handle_payment,
    }[entity]
    outcome: list[Outcome] = []

    async def attempt_work() -> Written:
        result = await handler(ctx, mapping, details)
        outcome.append(result)
        return result.written

    result = await run_attempt(
        ctx, entity_type=entity_type, aforo_id=mapping.aforo_id, work=attempt_work
    )
    if outcome and outcome[0].resync and result.error is None:
        with reads_for(ReadPurpose.WRITE):
            return await force_resync(
                session,
                deps,
                organization_id=ctx.organization_id,
                entity_type=entity_type,
                aforo_id=mapping.aforo_id,
                options=SyncOptions(
                    trigger=ctx.trigger,
                    correlation_id=ctx.correlation_id,
                    attempt=ctx.attempt,
                    will_retry=ctx.will_retry,
                ),
            )
    return result


async def _invoice(ctx: SyncContext, mapping: Mapping, details: dict[str, Any]) -> Outcome:
    if details.get("operation") == "Delete":
        return await gone(ctx, mapping)  # QuickBooks never brings a deleted id back
    if await _already_read(ctx, mapping, details):
        return Outcome(
            Written(SyncAction.SKIP, mapping.quickbooks_id, "that change was already read")
        )
    try:
        current = await ctx.qbo.read(Invoice, mapping.quickbooks_id)
    except QuickBooksNotFound:
        return await gone(ctx, mapping)
    await save_invoice(ctx, current)
    if current.sync_token == mapping.sync_token:
        await flag(ctx, mapping, [])
        return Outcome(
            Written(SyncAction.SKIP, mapping.quickbooks_id, "QuickBooks holds qbsync's last write")
        )
    differences = await invoice_differences(ctx, mapping, current)
    if not differences:
        await flag(ctx, mapping, [])
        return Outcome(
            Written(
                SyncAction.NONE,
                mapping.quickbooks_id,
                f"changed in QuickBooks, still as Aforo has it (balance {current.balance})",
            )
        )
    summary = "; ".join(
        f"{d.kind} {d.aforo_value} in Aforo, {d.quickbooks_value} in QuickBooks"
        for d in differences
    )
    repushable = all(d.repair == Repair.REPUSH for d in differences)
    if ctx.settings.on_edited_in_quickbooks == "repush" and repushable:
        return Outcome(
            Written(
                SyncAction.NONE,
                mapping.quickbooks_id,
                f"edited in QuickBooks ({summary}); Aforo's version written again (policy: repush)",
            ),
            resync=True,
        )
    await flag(ctx, mapping, differences)
    return Outcome(
        Written(SyncAction.NONE, mapping.quickbooks_id, f"drift flagged: {summary}"[:2000])
    )


async def _read_just_now(
    ctx: SyncContext, mapping: Mapping, details: dict[str, Any], attempt: Attempt
) -> bool:
    """A record whose webhook events keep coming (a person at work, a bulk edit) is read at
    most once per ``READ_INTERVAL_S``: the work comes back after it, merged with every event
    that arrives meanwhile, instead of one read per event."""
    if attempt.work.trigger != SyncTrigger.WEBHOOK or details.get("operation") not in (
        "Create",
        "Update",
    ):
        return False
    known = await repository.remote_records(
        ctx.session,
        realm_id=ctx.realm_id,
        entity_type=mapping.entity_type,
        quickbooks_ids=[mapping.quickbooks_id],
    )
    remote = known.get(mapping.quickbooks_id)
    if remote is None:
        return False
    age = (utcnow() - remote.updated_at).total_seconds()
    if age >= READ_INTERVAL_S:
        return False
    work = attempt.work
    await work_queue.enqueue(
        ctx.session,
        work_queue.WorkRequest(
            organization_id=work.organization_id,
            kind=work.kind,
            aforo_id=work.aforo_id,
            priority=Priority(work.priority),
            trigger=work.trigger,
            max_attempts=work.max_attempts,
            correlation_id=work.correlation_id,
            details=details,
            delay_s=READ_INTERVAL_S - age,
        ),
    )
    return True


async def _already_read(ctx: SyncContext, mapping: Mapping, details: dict[str, Any]) -> bool:
    """A read made after the change an event reports has seen it: a burst of events for one
    record costs one read, not one per event."""
    at = details.get("at")
    if not isinstance(at, str):
        return False
    known = await repository.remote_records(
        ctx.session,
        realm_id=ctx.realm_id,
        entity_type=mapping.entity_type,
        quickbooks_ids=[mapping.quickbooks_id],
    )
    remote = known.get(mapping.quickbooks_id)
    if remote is None or remote.last_updated_at is None:
        return False
    return remote.last_updated_at >= datetime.fromisoformat(at)


async def invoice_differences(
    ctx: SyncContext, mapping: Mapping, current: Invoice
) -> list[Difference]:
    number = int(mapping.aforo_id.removeprefix("invoice-"))
    aforo = await ctx.deps.aforo.billing.get_invoice(number, org_id=ctx.organization_id)
    customer = await sync_repository.get_mapping(
        ctx.session,
        organization_id=ctx.organization_id,
        realm_id=ctx.realm_id,
        entity_type=EntityType.CUSTOMER,
        aforo_id=f"CUST-{aforo.customer_id}",
    )
    return compare_invoice(
        aforo,
        current,
        customer_qbo_id=customer.quickbooks_id if customer else None,
        terms_days=ctx.settings.payment_terms_days,
    )
