"""A payment that failed or was charged back after it was synced: its QuickBooks payment is
voided (amount 0, kept for the audit trail), which gives its invoices their balance back."""

from __future__ import annotations

from qbsync.quickbooks.schemas.payment import Payment
from qbsync.snapshots import repository as snapshots
from qbsync.sync import repository
from qbsync.sync.context import SyncContext
from qbsync.sync.models import EntityType, SyncAction
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
    current = await ctx.qbo.read(Payment, mapping.quickbooks_id)
    assert current.sync_token is not None
    voided = await ctx.qbo.void_payment(
        mapping.quickbooks_id,
        current.sync_token,
        request_id=await write_key(
            ctx, entity_type=EntityType.PAYMENT, aforo_id=aforo_id, operation="void"
        ),
    )
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
