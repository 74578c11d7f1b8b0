"""Refunds: money of a synced payment paid back to the customer becomes a QuickBooks refund
receipt (income reversed on the invoice's item, money out of the account the payment went
to, or the configured refund account)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from qbsync.errors import InvalidInput
from qbsync.events.schemas import PaymentRefunded
from qbsync.quickbooks.query import Q
from qbsync.quickbooks.schemas import Account, Payment, Ref, RefundReceipt
from qbsync.snapshots import repository as snapshots
from qbsync.sync.attempts import run_attempt
from qbsync.sync.company import company_setup
from qbsync.sync.context import AforoClients, SyncContext
from qbsync.sync.engine import ensure
from qbsync.sync.invoice_money import currency_as
from qbsync.sync.mappers.refunds import REFUND_IDS, map_refund, refund_note, refundable
from qbsync.sync.mappers.tax import US_EXEMPT, TaxMode
from qbsync.sync.models import EntityType, SyncAction
from qbsync.sync.registry import Details
from qbsync.sync.results import SyncResult, Written
from qbsync.sync.upserts import unchanged, upsert

ENTITY = EntityType.REFUND


def event_details(event: PaymentRefunded) -> dict[str, Any] | None:
    del event  # the refund is always read fresh from the payment service
    return None


async def read(
    aforo: AforoClients, organization_id: int, refund_id: str, caller_token: str | None
) -> dict[str, Any]:
    refund = await aforo.payments.get_refund(
        refund_id, org_id=organization_id, caller_token=caller_token
    )
    return {"exists": True, "amount": str(refund.amount), "paymentId": refund.payment_id}


async def _refund_account(ctx: SyncContext, payment: Payment) -> str:
    settings = ctx.settings
    if settings.refund_account_id:
        return settings.refund_account_id
    if payment.deposit_to_account_ref is not None:
        return payment.deposit_to_account_ref.value
    banks = await ctx.qbo.query(Account, Q.eq("AccountType", "Bank") & Q.eq("Active", True))
    if not banks or banks[0].id is None:
        raise InvalidInput(
            "no account to pay the refund from",
            hint="set refundAccountId in the QuickBooks settings (PUT /api/quickbooks/settings)",
        )
    return banks[0].id


async def _tax_code(ctx: SyncContext) -> str | None:
    """A refund line is not taxed again: NON in the US, the 0 % code elsewhere."""
    setup = await company_setup(ctx)
    if setup.tax.mode == TaxMode.US:
        return US_EXEMPT
    if setup.tax.mode == TaxMode.NONE:
        return None
    code = ctx.settings.tax_code_ids.get("0") or ctx.settings.default_tax_code_id
    if code is None:
        raise InvalidInput(
            "the company charges tax per line and no tax code is mapped to the 0 % rate for refunds",
            hint='map it in the QuickBooks settings: taxCodeIds {"0": "<TaxCode Id>"}',
        )
    return code


async def _refunded_before(
    ctx: SyncContext, customer_qbo_id: str, refund_id: str, payment_id: str
) -> Decimal:
    """What other refunds of the payment already gave back, from the refund receipts
    QuickBooks holds for the customer (their PrivateNote names the refund and the payment)."""
    receipts = await ctx.qbo.query(RefundReceipt, Q.eq("CustomerRef", customer_qbo_id))
    ours = refund_note(refund_id, payment_id)
    theirs = f" of payment {payment_id} ("
    return sum(
        (
            r.total_amt or Decimal(0)
            for r in receipts
            if r.private_note and theirs in r.private_note and not r.private_note.startswith(ours)
        ),
        Decimal(0),
    )


async def _paid(ctx: SyncContext, payment_qbo_id: str) -> Payment:
    """The payment the refund gives back (its customer, currency and the account its money
    went to) as QuickBooks answered qbsync's last write of it; read, and kept, only when
    qbsync wrote it before it kept payments."""
    known = await snapshots.load(
        ctx.session,
        realm_id=ctx.realm_id,
        entity_type=EntityType.PAYMENT,
        quickbooks_id=payment_qbo_id,
        model=Payment,
    )
    if known is not None and known.customer_ref is not None:
        return known
    read = await ctx.qbo.read(Payment, payment_qbo_id)
    await snapshots.save(
        ctx.session, realm_id=ctx.realm_id, entity_type=EntityType.PAYMENT, entity=read
    )
    return read


async def sync(ctx: SyncContext, refund_id: str, details: Details | None = None) -> SyncResult:
    """A refund receipt for the refund, after the payment it gives back (synced first)."""
    del details
    aforo_id = REFUND_IDS.format(refund_id)

    async def work() -> Written:
        aforo = ctx.deps.aforo
        refund = await aforo.payments.get_refund(
            refund_id, org_id=ctx.organization_id, caller_token=ctx.caller_token
        )
        paid = await aforo.payments.get_payment(
            refund.payment_id, org_id=ctx.organization_id, caller_token=ctx.caller_token
        )
        refundable(refund.amount, paid=paid.amount, refunded_before=Decimal(0))
        payment = await _paid(ctx, await ensure(ctx, EntityType.PAYMENT, refund.payment_id))
        assert payment.customer_ref is not None
        customer_qbo_id = payment.customer_ref.value
        invoice = await aforo.billing.get_invoice(
            refund.invoice_id, org_id=ctx.organization_id, caller_token=ctx.caller_token
        )
        item_ref = Ref(value=await ensure(ctx, EntityType.ITEM, invoice.rate_plan_id or None))
        setup = await company_setup(ctx)
        payload = map_refund(
            refund,
            customer_qbo_id=customer_qbo_id,
            item_ref=item_ref,
            refund_from_account_id=await _refund_account(ctx, payment),
            payment_method_id=ctx.settings.payment_method_id(paid.payment_method),
            currency_ref=(
                await currency_as(
                    ctx, setup, payment, currency=refund.currency, what=f"refund {refund.id}"
                )
            ).currency_ref,
            tax_code_id=await _tax_code(ctx),
        )
        skipped = await unchanged(ctx, payload, entity_type=ENTITY, aforo_id=aforo_id)
        if skipped is not None:
            return skipped  # a redelivery: within the payment when it was written
        # What the payment's other refunds gave back is read before any write (a new refund,
        # or one whose amount changed): Aforo's refunds of it are not all synced.
        before = await _refunded_before(ctx, customer_qbo_id, refund.id, refund.payment_id)
        refundable(refund.amount, paid=paid.amount, refunded_before=before)
        written, answer = await upsert(
            ctx, payload, entity_type=ENTITY, aforo_id=aforo_id, what="refund receipt"
        )
        if answer is None or written.action != SyncAction.CREATE:
            return written
        part = "partial " if refund.amount < paid.amount else ""
        return replace(
            written,
            message=f"{part}refund of {answer.total_amt} of payment {refund.payment_id}: "
            "refund receipt created",
        )

    return await run_attempt(ctx, entity_type=ENTITY, aforo_id=aforo_id, work=work)
