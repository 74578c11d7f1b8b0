"""Voiding an invoice QuickBooks holds. QuickBooks refuses to void an invoice that payments
are applied to, so those payments are first unlinked from it: a payment of money keeps its
amount as the customer's unapplied credit, a credit memo's zero payment is deleted (the
credit is open again). Then the invoice is voided."""

from __future__ import annotations

from decimal import Decimal

from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.quickbooks.schemas.payment import Payment
from qbsync.snapshots import repository as snapshots
from qbsync.sync import repository
from qbsync.sync.context import SyncContext
from qbsync.sync.mappers.invoices import money
from qbsync.sync.models import EntityType, Mapping, SyncAction
from qbsync.sync.results import Written
from qbsync.sync.writes import save_mapping, sparse_update, write_key

ENTITY = EntityType.INVOICE


async def _unlink(ctx: SyncContext, mapping: Mapping, payment_id: str) -> str:
    """Take ``payment_id`` off the invoice; what was done, for the log."""
    payment = await ctx.qbo.read(Payment, payment_id)
    lines = payment.line or []
    here = [
        line
        for line in lines
        if any(
            t.txn_id == mapping.quickbooks_id and t.txn_type == "Invoice"
            for t in line.linked_txn or []
        )
    ]
    applied = sum((line.amount or Decimal(0) for line in here), Decimal(0))
    if not here:
        return ""
    key = f"unlink:{payment_id}:{payment.sync_token}"
    if money(payment.total_amt or Decimal(0)) == 0:
        assert payment.sync_token is not None
        await ctx.qbo.delete(
            Payment,
            payment_id,
            payment.sync_token,
            request_id=await write_key(
                ctx, entity_type=ENTITY, aforo_id=mapping.aforo_id, operation=key
            ),
        )
        return f"credit application {payment_id} ({money(applied)}) removed"
    rest = [line for line in lines if line not in here]
    change = Payment(line=rest, customer_ref=payment.customer_ref, total_amt=payment.total_amt)
    unlinked = await sparse_update(
        ctx,
        change,
        entity_type=ENTITY,
        aforo_id=mapping.aforo_id,
        qbo_id=payment_id,
        sync_token=payment.sync_token,
    )
    owner = await repository.find_by_quickbooks_id(
        ctx.session, realm_id=ctx.realm_id, entity_type=EntityType.PAYMENT, quickbooks_id=payment_id
    )
    if owner is not None:
        # Its next update applies from this, not from a read of it.
        await snapshots.save(
            ctx.session, realm_id=ctx.realm_id, entity_type=EntityType.PAYMENT, entity=unlinked
        )
        # The payment's facts did not change, but QuickBooks' record did: forget its hash
        # so a later sync of it writes it again rather than skipping.
        await repository.save_mapping(
            ctx.session,
            organization_id=ctx.organization_id,
            realm_id=ctx.realm_id,
            entity_type=EntityType.PAYMENT,
            aforo_id=owner.aforo_id,
            quickbooks_id=payment_id,
            sync_token=None,
            payload_hash=None,
        )
        ctx.saved(EntityType.PAYMENT, owner.aforo_id)
    return (
        f"payment {payment_id} unlinked ({money(applied)} left as the customer's unapplied credit)"
    )


async def void_invoice(ctx: SyncContext, mapping: Mapping | None) -> Written:
    if mapping is None:
        return Written(SyncAction.SKIP, None, "the invoice is VOID in Aforo and was never synced")
    if mapping.payload_hash == repository.VOIDED:
        return Written(SyncAction.SKIP, mapping.quickbooks_id, "already voided")
    current = await ctx.qbo.read(Invoice, mapping.quickbooks_id)
    payments = [t.txn_id for t in current.linked_txn or [] if t.txn_type == "Payment"]
    done = [
        what
        for payment_id in dict.fromkeys(payments)
        if (what := await _unlink(ctx, mapping, payment_id))
    ]
    if done:
        current = await ctx.qbo.read(Invoice, mapping.quickbooks_id)
    assert current.sync_token is not None
    voided = await ctx.qbo.void_invoice(
        mapping.quickbooks_id,
        current.sync_token,
        request_id=await write_key(
            ctx, entity_type=ENTITY, aforo_id=mapping.aforo_id, operation="void"
        ),
    )
    await save_mapping(
        ctx, voided, entity_type=ENTITY, aforo_id=mapping.aforo_id, payload_hash=repository.VOIDED
    )
    message = "invoice voided (VOID in Aforo)"
    note = None
    if done:
        note = "QuickBooks voids only an invoice no payment is applied to: " + "; ".join(done)
        message += "; " + note
    return Written(SyncAction.VOID, mapping.quickbooks_id, message, None, voided, note=note)
