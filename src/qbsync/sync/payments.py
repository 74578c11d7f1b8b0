"""Payments: an Aforo payment to a QBO payment applied to its (synced-first) invoice."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qbsync.aforo.payments import AforoPayment
from qbsync.errors import InvalidInput
from qbsync.events.schemas import PaymentChargedBack, PaymentFailed, PaymentReceived
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.quickbooks.schemas.payment import Payment
from qbsync.snapshots import repository as snapshots
from qbsync.sync import repository
from qbsync.sync.attempts import run_attempt
from qbsync.sync.company import company_setup
from qbsync.sync.context import AforoClients, SyncContext
from qbsync.sync.engine import ensure
from qbsync.sync.invoice_money import currency_fields
from qbsync.sync.mappers.invoices import INVOICE_IDS
from qbsync.sync.mappers.payments import PAYMENT_IDS, PaymentFacts, applied_amount, map_payment
from qbsync.sync.mappers.text import payload_hash
from qbsync.sync.models import EntityType, SyncAction
from qbsync.sync.payment_reversals import REVERSED, reverse_payment
from qbsync.sync.registry import Details
from qbsync.sync.results import SyncResult, Written
from qbsync.sync.writes import save_mapping, update_mapped, write_key

ENTITY = EntityType.PAYMENT
# details key of a payment.failed / payment.charged_back event.
REVERSAL = "reversal"


def _facts(payment: AforoPayment) -> PaymentFacts:
    return PaymentFacts(
        payment_id=payment.id,
        organization_id=payment.organization_id,
        invoice_id=payment.invoice_id,
        customer_id=payment.customer_id,
        amount=payment.amount,
        paid_at=payment.paid_at,
        currency=payment.currency,
        payment_method=payment.payment_method,
        reference=payment.reference,
    )


def event_details(
    event: PaymentReceived | PaymentFailed | PaymentChargedBack,
) -> dict[str, Any] | None:
    """The event's own facts when they are enough to sync from (else the payment service
    is asked when the sync runs); a failure or chargeback says so."""
    if isinstance(event, PaymentFailed | PaymentChargedBack):
        reason = "FAILED" if isinstance(event, PaymentFailed) else "CHARGED_BACK"
        return {REVERSAL: reason, "paymentId": event.payment_id}
    if event.amount is None or event.invoice_id is None:
        return None
    return PaymentFacts(
        payment_id=event.payment_id,
        organization_id=event.organization_id,
        invoice_id=event.invoice_id,
        customer_id=event.customer_id,
        amount=event.amount,
        paid_at=event.paid_at,
        currency=event.currency,
        payment_method=event.payment_method,
        reference=event.reference,
    ).to_details()


async def read(
    aforo: AforoClients, organization_id: int, payment_id: str, caller_token: str | None
) -> dict[str, Any]:
    payment = await aforo.payments.get_payment(
        payment_id, org_id=organization_id, caller_token=caller_token
    )
    return {"exists": True, "amount": str(payment.amount)}


async def sync(ctx: SyncContext, payment_id: str, details: Details | None = None) -> SyncResult:
    """Create or update the payment applied to its (synced-first) invoice. ``details`` are
    the event's facts when it carried them (``PaymentFacts.to_details``); otherwise the
    payment service is asked."""
    aforo_id = PAYMENT_IDS.format(payment_id)

    async def work() -> Written:
        if details and details.get(REVERSAL):
            return await reverse_payment(ctx, aforo_id, str(details[REVERSAL]))
        if details:
            known = PaymentFacts.from_details(details)
        else:
            payment = await ctx.deps.aforo.payments.get_payment(
                payment_id, org_id=ctx.organization_id, caller_token=ctx.caller_token
            )
            status = (payment.status or "SUCCEEDED").upper()
            if status in REVERSED:
                return await reverse_payment(ctx, aforo_id, status)
            known = _facts(payment)
        if known.amount <= 0:
            raise InvalidInput(f"payment {payment_id} has a non-positive amount ({known.amount})")
        invoice_qbo_id = await ensure(ctx, EntityType.INVOICE, known.invoice_id)
        mapping = await ctx.mapping(ENTITY, aforo_id)
        # The hash covers the payment's own facts, so that a replayed event is skipped
        # before any QuickBooks read.
        nominal = _payload(
            ctx, known, customer_qbo_id="", invoice_qbo_id=invoice_qbo_id, applied=known.amount
        )
        facts_hash = payload_hash(nominal)
        if mapping is not None and mapping.payload_hash == repository.VOIDED:
            return Written(
                SyncAction.SKIP, mapping.quickbooks_id, "voided (failed or charged back)"
            )
        if mapping is not None and mapping.payload_hash == facts_hash:
            return Written(SyncAction.SKIP, mapping.quickbooks_id, "unchanged since the last sync")
        # Payments of one invoice apply against its balance one at a time.
        await repository.lock_entity(
            ctx.session,
            organization_id=ctx.organization_id,
            entity_type=EntityType.INVOICE,
            aforo_id=INVOICE_IDS.format(known.invoice_id),
        )
        invoice = await ctx.qbo.read(Invoice, invoice_qbo_id)
        assert invoice.customer_ref is not None
        open_balance = invoice.balance or Decimal(0)
        if mapping is not None:
            open_balance += await _applied_by(ctx, mapping.quickbooks_id, invoice_qbo_id)
        applied = applied_amount(known.amount, open_balance)
        payload = _payload(
            ctx,
            known,
            customer_qbo_id=invoice.customer_ref.value,
            invoice_qbo_id=invoice_qbo_id,
            applied=applied,
        )
        # In the customer's currency (multi-currency companies), else refused with its fix.
        money = await currency_fields(
            ctx,
            await company_setup(ctx),
            customer_qbo_id=invoice.customer_ref.value,
            currency=known.currency,
            exchange_rate=None,
            what=f"payment {payment_id}",
        )
        payload = payload.model_copy(
            update={"currency_ref": money.currency_ref, "exchange_rate": money.exchange_rate}
        )
        # Once written, the invoice pages show the balance this payment leaves (no read).
        paid = invoice.model_copy(update={"balance": open_balance - applied})
        note = ""
        if known.amount > open_balance:
            note = f"; {known.amount - open_balance} left unapplied (more than the open balance)"
        if mapping is not None:
            updated = await update_mapped(
                ctx,
                payload,
                entity_type=ENTITY,
                aforo_id=aforo_id,
                qbo_id=mapping.quickbooks_id,
                sync_token=mapping.sync_token,
                stored_hash=facts_hash,
            )
            await _remember(ctx, paid)
            return Written(
                SyncAction.UPDATE, mapping.quickbooks_id, "payment updated" + note, payload, updated
            )
        created = await ctx.qbo.create(
            payload,
            request_id=await write_key(
                ctx, entity_type=ENTITY, aforo_id=aforo_id, operation="create"
            ),
        )
        assert created.id is not None
        await save_mapping(
            ctx, created, entity_type=ENTITY, aforo_id=aforo_id, payload_hash=facts_hash
        )
        await _remember(ctx, paid)
        return Written(SyncAction.CREATE, created.id, "payment created" + note, payload, created)

    return await run_attempt(ctx, entity_type=ENTITY, aforo_id=aforo_id, work=work)


async def _remember(ctx: SyncContext, invoice: Invoice) -> None:
    await snapshots.save(
        ctx.session, realm_id=ctx.realm_id, entity_type=EntityType.INVOICE, entity=invoice
    )


def _payload(
    ctx: SyncContext,
    facts: PaymentFacts,
    *,
    customer_qbo_id: str,
    invoice_qbo_id: str,
    applied: Decimal,
) -> Payment:
    settings = ctx.settings
    return map_payment(
        facts,
        customer_qbo_id=customer_qbo_id,
        invoice_qbo_id=invoice_qbo_id,
        applied=applied,
        deposit_account_id=settings.deposit_account_id,
        payment_method_id=settings.payment_method_id(facts.payment_method),
    )


async def _applied_by(ctx: SyncContext, payment_qbo_id: str, invoice_qbo_id: str) -> Decimal:
    """How much of the invoice this payment already covers (so an update can re-apply it)."""
    current = await ctx.qbo.read(Payment, payment_qbo_id)
    return sum(
        (
            line.amount or Decimal(0)
            for line in current.line or []
            if any(link.txn_id == invoice_qbo_id for link in line.linked_txn or [])
        ),
        Decimal(0),
    )
