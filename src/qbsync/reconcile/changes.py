"""What a change QuickBooks reported means for one organization, decided from the record as
QuickBooks holds it now (never from the event alone: events come late, twice, out of order).

- deleted in QuickBooks: re-created (policy ``recreate``, the default, logged) or flagged;
- voided or edited against Aforo's truth: flagged as drift, or written over (``repush``);
- a payment applied in QuickBooks: the invoices it pays get their new balance;
- customers merged: the merged-away customer's mapping follows the survivor;
- a record no Aforo record maps to: reported as unknown to Aforo (no read spent on it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from qbsync.connections import repository as connections
from qbsync.connections.models import ConnectionStatus
from qbsync.quickbooks.errors import QuickBooksNotFound
from qbsync.quickbooks.reads import ReadPurpose, reads_for
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.quickbooks.schemas.names import Customer
from qbsync.quickbooks.schemas.payment import Payment
from qbsync.reconcile import repository
from qbsync.reconcile.compare import Difference, compare_invoice, is_voided
from qbsync.reconcile.flags import flag, unknown_to_aforo
from qbsync.reconcile.models import MismatchKind, RemoteStatus, Repair
from qbsync.reconcile.work import ENTITY_TYPES, parse_change_id
from qbsync.scheduler.execution import Attempt
from qbsync.sync import repository as sync_repository
from qbsync.sync.attempts import run_attempt
from qbsync.sync.context import SyncContext, SyncDeps
from qbsync.sync.engine import SyncOptions
from qbsync.sync.models import EntityType, Mapping, SyncAction, SyncStatus
from qbsync.sync.results import SyncResult, Written
from qbsync.sync.resync import force_resync


@dataclass(frozen=True)
class Outcome:
    written: Written
    # Write Aforo's version again after this attempt (re-create a deleted record, re-push).
    resync: bool = False


Handler = Callable[[SyncContext, Mapping, dict[str, Any]], Awaitable[Outcome]]


def _skipped(attempt: Attempt, message: str) -> SyncResult:
    work = attempt.work
    return SyncResult(work.kind, work.aforo_id, SyncStatus.SKIPPED, SyncAction.SKIP, None, message)


async def handle_change(deps: SyncDeps, attempt: Attempt, session: Any) -> SyncResult:
    work = attempt.work
    details: dict[str, Any] = work.details or {}
    parsed = parse_change_id(work.aforo_id)
    if parsed is None:
        return _skipped(attempt, f"{work.aforo_id!r} names no QuickBooks record qbsync watches")
    entity, qbo_id = parsed
    connection = await connections.get_connection(session, work.organization_id)
    if (
        connection is None
        or connection.status != ConnectionStatus.ACTIVE
        or connection.realm_id != details.get("realmId", connection.realm_id)
    ):
        return _skipped(attempt, "the organization is no longer connected to that company")
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
            return await _payment_by_a_person(ctx, qbo_id, details, attempt)
        message = await unknown_to_aforo(ctx, entity_type, qbo_id, details.get("operation"))
        return _skipped(attempt, message)
    handler: Handler = {"Invoice": _invoice, "Customer": _customer, "Payment": _payment}[entity]
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


async def _save_invoice(ctx: SyncContext, invoice: Invoice) -> None:
    assert invoice.id is not None
    await repository.save_remote(
        ctx.session,
        realm_id=ctx.realm_id,
        entity_type=EntityType.INVOICE,
        quickbooks_id=invoice.id,
        status=RemoteStatus.VOIDED if is_voided(invoice) else RemoteStatus.ACTIVE,
        sync_token=invoice.sync_token,
        total=invoice.total_amt,
        balance=invoice.balance,
        last_updated_at=invoice.meta_data.last_updated_time if invoice.meta_data else None,
    )


async def _gone(ctx: SyncContext, mapping: Mapping) -> Outcome:
    await repository.save_remote(
        ctx.session,
        realm_id=ctx.realm_id,
        entity_type=mapping.entity_type,
        quickbooks_id=mapping.quickbooks_id,
        status=RemoteStatus.DELETED,
    )
    what = f"QuickBooks {mapping.entity_type.lower()} {mapping.quickbooks_id}"
    if ctx.settings.on_deleted_in_quickbooks == "recreate" and mapping.entity_type != "CUSTOMER":
        return Outcome(
            Written(
                SyncAction.NONE,
                mapping.quickbooks_id,
                f"{what} was deleted in QuickBooks; qbsync creates it again (policy: recreate)",
            ),
            resync=True,
        )
    await flag(
        ctx,
        mapping,
        [Difference(MismatchKind.MISSING_IN_QUICKBOOKS, mapping.aforo_id, None, Repair.RECREATE)],
    )
    return Outcome(
        Written(
            SyncAction.NONE,
            mapping.quickbooks_id,
            f"{what} was deleted in QuickBooks; flagged as drift (policy: flag)",
        )
    )


async def _invoice(ctx: SyncContext, mapping: Mapping, details: dict[str, Any]) -> Outcome:
    if details.get("operation") == "Delete":
        return await _gone(ctx, mapping)  # QuickBooks never brings a deleted id back
    try:
        current = await ctx.qbo.read(Invoice, mapping.quickbooks_id)
    except QuickBooksNotFound:
        return await _gone(ctx, mapping)
    await _save_invoice(ctx, current)
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


async def _customer(ctx: SyncContext, mapping: Mapping, details: dict[str, Any]) -> Outcome:
    survivor_id = details.get("survivorId") or await _merged_into(ctx, mapping)
    if isinstance(survivor_id, str):
        survivor = await ctx.qbo.read(Customer, survivor_id)
        await sync_repository.save_mapping(
            ctx.session,
            organization_id=ctx.organization_id,
            realm_id=ctx.realm_id,
            entity_type=EntityType.CUSTOMER,
            aforo_id=mapping.aforo_id,
            quickbooks_id=survivor_id,
            sync_token=survivor.sync_token,
            payload_hash=mapping.payload_hash,
        )
        await repository.save_remote(
            ctx.session,
            realm_id=ctx.realm_id,
            entity_type=EntityType.CUSTOMER,
            quickbooks_id=mapping.quickbooks_id,
            status=RemoteStatus.MERGED,
            merged_into=survivor_id,
        )
        await flag(ctx, mapping, [])
        return Outcome(
            Written(
                SyncAction.LINK,
                survivor_id,
                f"QuickBooks customer {mapping.quickbooks_id} was merged into {survivor_id}; "
                "the mapping follows the surviving customer",
            )
        )
    try:
        current = await ctx.qbo.read(Customer, mapping.quickbooks_id)
    except QuickBooksNotFound:
        # Customers are never deleted, only merged away: when the merge's webhook was lost
        # (the sweep saw the customer go), its invoices show where they went.
        moved_to = await _survivor_from_invoices(ctx, mapping)
        if moved_to is None:
            return await _gone(ctx, mapping)
        return await _customer(ctx, mapping, {"survivorId": moved_to})
    active = current.active is not False
    await repository.save_remote(
        ctx.session,
        realm_id=ctx.realm_id,
        entity_type=EntityType.CUSTOMER,
        quickbooks_id=mapping.quickbooks_id,
        status=RemoteStatus.ACTIVE if active else RemoteStatus.DELETED,
        sync_token=current.sync_token,
    )
    if not active:
        await flag(
            ctx, mapping, [Difference(MismatchKind.STATUS, "ACTIVE", "INACTIVE", Repair.REVIEW)]
        )
        return Outcome(
            Written(SyncAction.NONE, mapping.quickbooks_id, "made inactive in QuickBooks; flagged")
        )
    await flag(ctx, mapping, [])
    return Outcome(
        Written(SyncAction.NONE, mapping.quickbooks_id, "customer changed in QuickBooks")
    )


async def _merged_into(ctx: SyncContext, mapping: Mapping) -> str | None:
    """A merge heard from Intuit is remembered at once: the work that comes later for the
    merged-away customer (a CDC delete, say) still knows the survivor."""
    known = await repository.remote_records(
        ctx.session,
        realm_id=ctx.realm_id,
        entity_type=EntityType.CUSTOMER,
        quickbooks_ids=[mapping.quickbooks_id],
    )
    remote = known.get(mapping.quickbooks_id)
    return (
        remote.merged_into if remote is not None and remote.status == RemoteStatus.MERGED else None
    )


async def _survivor_from_invoices(ctx: SyncContext, mapping: Mapping) -> str | None:
    customer_id = int(mapping.aforo_id.removeprefix("CUST-"))
    invoices = await ctx.deps.aforo.billing.list_invoices(org_id=ctx.organization_id)
    for invoice in invoices:
        if invoice.customer_id != customer_id:
            continue
        mapped = await sync_repository.get_mapping(
            ctx.session,
            organization_id=ctx.organization_id,
            realm_id=ctx.realm_id,
            entity_type=EntityType.INVOICE,
            aforo_id=f"invoice-{invoice.id}",
        )
        if mapped is None:
            continue
        try:
            held = await ctx.qbo.read(Invoice, mapped.quickbooks_id)
        except QuickBooksNotFound:
            continue
        moved_to = held.customer_ref.value if held.customer_ref else None
        return moved_to if moved_to and moved_to != mapping.quickbooks_id else None
    return None


async def _payment(ctx: SyncContext, mapping: Mapping, details: dict[str, Any]) -> Outcome:  # noqa: ARG001
    try:
        payment = await ctx.qbo.read(Payment, mapping.quickbooks_id)
    except QuickBooksNotFound:
        await flag(
            ctx,
            mapping,
            [Difference(MismatchKind.MISSING_IN_QUICKBOOKS, mapping.aforo_id, None, Repair.REVIEW)],
        )
        return Outcome(
            Written(
                SyncAction.NONE, mapping.quickbooks_id, "payment deleted in QuickBooks; flagged"
            )
        )
    balances = await follow_payment(ctx, payment)
    return Outcome(
        Written(SyncAction.NONE, mapping.quickbooks_id, f"payment changed in QuickBooks{balances}")
    )


async def follow_payment(ctx: SyncContext, payment: Payment) -> str:
    """The invoices a payment pays get their balance as QuickBooks now has it."""
    said: list[str] = []
    for line in payment.line or []:
        for link in line.linked_txn or []:
            if link.txn_type != "Invoice":
                continue
            mapped = await repository.mapping_of(
                ctx.session,
                organization_id=ctx.organization_id,
                realm_id=ctx.realm_id,
                entity_type=EntityType.INVOICE,
                quickbooks_id=link.txn_id,
            )
            if mapped is None:
                continue
            invoice = await ctx.qbo.read(Invoice, link.txn_id)
            await _save_invoice(ctx, invoice)
            said.append(f"{mapped.aforo_id} balance {invoice.balance}")
    return f": {', '.join(said)}" if said else ""


async def _payment_by_a_person(
    ctx: SyncContext, qbo_id: str, details: dict[str, Any], attempt: Attempt
) -> SyncResult:
    """A payment entered in QuickBooks (not by qbsync): the invoices it pays follow."""
    if details.get("operation") == "Delete":
        return _skipped(attempt, "a payment qbsync never wrote was deleted in QuickBooks")
    try:
        payment = await ctx.qbo.read(Payment, qbo_id)
    except QuickBooksNotFound:
        return _skipped(attempt, f"QuickBooks payment {qbo_id} is gone")
    balances = await follow_payment(ctx, payment)
    return _skipped(
        attempt,
        f"payment {qbo_id} entered in QuickBooks{balances or ': pays nothing qbsync wrote'}",
    )
