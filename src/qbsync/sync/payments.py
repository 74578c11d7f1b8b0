"""Payments: an Aforo payment to a QBO payment applied to its (synced-first) invoice."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from qbsync.aforo.payments import AforoPayment
from qbsync.errors import InvalidInput
from qbsync.events.schemas import PaymentChargedBack, PaymentFailed, PaymentReceived
from qbsync.quickbooks.errors import QuickBooksError, QuickBooksNotFound, QuickBooksValidationError
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.quickbooks.schemas.payment import Payment
from qbsync.snapshots import repository as snapshots
from qbsync.sync import repository
from qbsync.sync.attempts import run_attempt
from qbsync.sync.company import company_setup
from qbsync.sync.context import AforoClients, SyncContext
from qbsync.sync.engine import ensure
from qbsync.sync.invoice_money import currency_as
from qbsync.sync.mappers.invoices import INVOICE_IDS
from qbsync.sync.mappers.payments import PAYMENT_IDS, PaymentFacts, applied_amount, map_payment
from qbsync.sync.mappers.text import payload_hash
from qbsync.sync.models import EntityType, Mapping, SyncAction
from qbsync.sync.payment_reversals import REVERSED, reverse_payment
from qbsync.sync.registry import Details
from qbsync.sync.results import SyncResult, Written
from qbsync.sync.writes import save_mapping, update_mapped, write_key

log = logging.getLogger(__name__)

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
        target = _Target(aforo_id, invoice_qbo_id, mapping, facts_hash)
        basis = await _basis(ctx, target, live=False)
        if not basis.live and known.amount > basis.open_balance:
            # A local balance is trusted only when it covers the payment: QuickBooks refuses a
            # balance too high (handled below), but one too low (a payment removed or a credit
            # taken back in QuickBooks, not yet reported) would leave money unapplied in
            # silence. An overpayment is rare, so confirming it costs one read at most.
            basis = await _basis(ctx, target, live=True)
        try:
            return await _write(ctx, known, target, basis)
        except (QuickBooksValidationError, QuickBooksNotFound) as error:
            if basis.live or not _says_stale(error):
                raise
            # What qbsync knew of the invoice was out of date (a payment or credit entered in
            # QuickBooks that no change notification has brought yet): read it, apply again.
            log.warning(
                "payment refused against the invoice balance qbsync knew; read it again",
                extra={"invoice_qbo_id": invoice_qbo_id, "fault": str(error)},
            )
            basis = await _basis(ctx, target, live=True)
            written = await _write(ctx, known, target, basis, reread=True)
            stale = "; the invoice's balance qbsync knew was out of date (read it again)"
            return replace(written, message=written.message + stale)

    return await run_attempt(ctx, entity_type=ENTITY, aforo_id=aforo_id, work=work)


@dataclass(frozen=True)
class _Target:
    """The payment being written and the invoice it applies to."""

    aforo_id: str
    invoice_qbo_id: str
    mapping: Mapping | None
    facts_hash: str


@dataclass(frozen=True)
class _Basis:
    """What the payment applies against: the invoice (its customer) and its open balance,
    with what this payment already covers added back when it is an update."""

    invoice: Invoice
    open_balance: Decimal
    # All of it read from QuickBooks now (else some as qbsync last wrote and learned it).
    live: bool


async def _basis(ctx: SyncContext, target: _Target, *, live: bool) -> _Basis:
    """From local state (no billable read) when qbsync holds the invoice's snapshot and, for
    an update, the payment's; read live what is missing, or everything when ``live``."""
    invoice = None if live else await _known_invoice(ctx, target.invoice_qbo_id)
    fresh = invoice is None
    if invoice is None:
        invoice = await ctx.qbo.read(Invoice, target.invoice_qbo_id)
        await _remember(ctx, EntityType.INVOICE, invoice)
    open_balance = invoice.balance or Decimal(0)
    if target.mapping is not None:
        payment = None if live else await _known_payment(ctx, target.mapping.quickbooks_id)
        fresh = fresh and payment is None
        if payment is None:
            payment = await ctx.qbo.read(Payment, target.mapping.quickbooks_id)
        open_balance += _applied_to(payment, target.invoice_qbo_id)
    return _Basis(invoice, open_balance, fresh)


async def _known_invoice(ctx: SyncContext, qbo_id: str) -> Invoice | None:
    """The invoice as qbsync wrote it, with the balances its payments and QuickBooks' change
    notifications left; None when there is none to trust (never kept, or deleted since)."""
    found = await snapshots.invoices(ctx.session, realm_id=ctx.realm_id, quickbooks_ids=[qbo_id])
    invoice = found.get(qbo_id)
    if invoice is None or invoice.customer_ref is None or invoice.balance is None:
        return None
    return invoice


async def _known_payment(ctx: SyncContext, qbo_id: str) -> Payment | None:
    """The payment as QuickBooks answered qbsync's last write of it."""
    return await snapshots.load(
        ctx.session, realm_id=ctx.realm_id, entity_type=ENTITY, quickbooks_id=qbo_id, model=Payment
    )


async def _write(
    ctx: SyncContext, known: PaymentFacts, target: _Target, basis: _Basis, *, reread: bool = False
) -> Written:
    invoice = basis.invoice
    assert invoice.customer_ref is not None
    customer_qbo_id = invoice.customer_ref.value
    applied = applied_amount(known.amount, basis.open_balance)
    payload = _payload(
        ctx,
        known,
        customer_qbo_id=customer_qbo_id,
        invoice_qbo_id=target.invoice_qbo_id,
        applied=applied,
    )
    money = await currency_as(
        ctx,
        await company_setup(ctx),
        invoice,
        currency=known.currency,
        what=f"payment {known.payment_id}",
    )
    payload = payload.model_copy(
        update={"currency_ref": money.currency_ref, "exchange_rate": money.exchange_rate}
    )
    # Once written, the invoice pages (and the next payment) see the balance this payment
    # leaves, without a read.
    paid = invoice.model_copy(update={"balance": basis.open_balance - applied})
    note = ""
    if known.amount > basis.open_balance:
        note = f"; {known.amount - basis.open_balance} left unapplied (more than the open balance)"
    mapping = target.mapping
    if mapping is not None:
        written: Payment = await update_mapped(
            ctx,
            payload,
            entity_type=ENTITY,
            aforo_id=target.aforo_id,
            qbo_id=mapping.quickbooks_id,
            sync_token=mapping.sync_token,
            stored_hash=target.facts_hash,
        )
        action, qbo_id, message = SyncAction.UPDATE, mapping.quickbooks_id, "payment updated"
    else:
        # A refused create's requestid would be answered with the refusal again.
        operation = "create:reread" if reread else "create"
        written = await ctx.qbo.create(
            payload,
            request_id=await write_key(
                ctx, entity_type=ENTITY, aforo_id=target.aforo_id, operation=operation
            ),
        )
        assert written.id is not None
        await save_mapping(
            ctx,
            written,
            entity_type=ENTITY,
            aforo_id=target.aforo_id,
            payload_hash=target.facts_hash,
        )
        action, qbo_id, message = SyncAction.CREATE, written.id, "payment created"
    await _remember(ctx, EntityType.INVOICE, paid)
    # What it applies, for its next update (no read of the payment then).
    await _remember(ctx, ENTITY, written)
    return Written(action, qbo_id, message + note, payload, written)


def _says_stale(error: QuickBooksError) -> bool:
    """QuickBooks refused the amount applied (above the invoice's open balance) or the
    invoice linked (voided, deleted or moved to another customer since): what qbsync knew of
    the invoice was out of date. Other refusals would be refused again."""
    element = error.element or ""
    if isinstance(error, QuickBooksNotFound):
        return element.startswith("Line.LinkedTxn")
    return element == "Line.Amount" or "balance" in (error.detail or error.message).lower()


async def _remember(ctx: SyncContext, entity_type: str, entity: Invoice | Payment) -> None:
    await snapshots.save(ctx.session, realm_id=ctx.realm_id, entity_type=entity_type, entity=entity)


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


def _applied_to(payment: Payment, invoice_qbo_id: str) -> Decimal:
    """How much of the invoice ``payment`` covers (so that an update can re-apply it)."""
    return sum(
        (
            line.amount or Decimal(0)
            for line in payment.line or []
            if any(link.txn_id == invoice_qbo_id for link in line.linked_txn or [])
        ),
        Decimal(0),
    )
