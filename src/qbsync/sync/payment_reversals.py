"""A payment that failed or was charged back after it was synced: its QuickBooks payment is
voided (amount 0, kept for the audit trail), which gives its invoices their balance back."""

from __future__ import annotations

from qbsync.quickbooks.errors import QuickBooksStaleObject
from qbsync.quickbooks.schemas.payment import Payment
from qbsync.snapshots import repository as snapshots
from qbsync.sync import repository
from qbsync.sync.context import SyncContext
from qbsync.sync.models import EntityType, Mapping, SyncAction
from qbsync.sync.results import Written
from qbsync.sync.writes import save_mapping, write_key

REVERSED = frozenset({"FAILED", "CHARGED_BACK"})


async def reverse_payment(ctx: SyncContext, aforo_id: str, reason: str) -> Written:
    mapping = await ctx.mapping(EntityType.PAYMENT, aforo_id)
    what = reason.lower().replace("_", " ")
    if mapping is None:
        why = f"the payment {what} before it reached QuickBooks: nothing to reverse"
        return Written(SyncAction.SKIP, None, why, note=why)
    if mapping.payload_hash == repository.VOIDED:
        return Written(SyncAction.SKIP, mapping.quickbooks_id, "already voided")
    known = await _as_written(ctx, mapping)
    current = known or await ctx.qbo.read(Payment, mapping.quickbooks_id)
    try:
        voided = await _void(ctx, current, aforo_id, operation="void")
    except QuickBooksStaleObject:
        if known is None:
            raise
        # Changed in QuickBooks since qbsync wrote it (5010): void it as it is now, and give
        # back what it applies now (its own requestid: the refused one is answered with the
        # refusal again).
        current = await ctx.qbo.read(Payment, mapping.quickbooks_id)
        voided = await _void(ctx, current, aforo_id, operation="void:reread")
    # Its invoices are open again by what it applied (the next payment reads no invoice).
    await snapshots.payment_removed(ctx.session, realm_id=ctx.realm_id, payment=current)
    await save_mapping(
        ctx,
        voided,
        entity_type=EntityType.PAYMENT,
        aforo_id=aforo_id,
        payload_hash=repository.VOIDED,
    )
    note = f"payment {what} in Aforo: voided in QuickBooks, its invoice's balance restored"
    return Written(SyncAction.VOID, mapping.quickbooks_id, note, None, voided, note=note)


async def _as_written(ctx: SyncContext, mapping: Mapping) -> Payment | None:
    """The payment as QuickBooks answered qbsync's last write of it (its SyncToken, what it
    applies where); None when that is not what the mapping knows of it (written before
    payment snapshots were kept, or unlinked from a voided invoice since)."""
    kept = await snapshots.load(
        ctx.session,
        realm_id=ctx.realm_id,
        entity_type=EntityType.PAYMENT,
        quickbooks_id=mapping.quickbooks_id,
        model=Payment,
    )
    if kept is None or mapping.sync_token is None or kept.sync_token != mapping.sync_token:
        return None
    return kept


async def _void(ctx: SyncContext, payment: Payment, aforo_id: str, *, operation: str) -> Payment:
    assert payment.id is not None
    assert payment.sync_token is not None
    return await ctx.qbo.void_payment(
        payment.id,
        payment.sync_token,
        request_id=await write_key(
            ctx, entity_type=EntityType.PAYMENT, aforo_id=aforo_id, operation=operation
        ),
    )
