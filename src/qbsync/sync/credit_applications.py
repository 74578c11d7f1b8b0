"""Applying a credit memo's credit to open invoices, as the company's preferences (or the
organization's settings) say: once after each write of the credit, and not again for a
redelivery of it (docs/quickbooks-cost.md)."""

from __future__ import annotations

from decimal import Decimal

from qbsync.quickbooks.query import Q
from qbsync.quickbooks.schemas import CreditMemo, Invoice
from qbsync.snapshots import repository as snapshots
from qbsync.sync import repository
from qbsync.sync.company import company_setup
from qbsync.sync.context import SyncContext
from qbsync.sync.engine import ensure
from qbsync.sync.mappers.credit_memos import (
    CREDIT_MEMO_IDS,
    credit_to_apply,
    map_credit_application,
)
from qbsync.sync.models import EntityType
from qbsync.sync.results import Written
from qbsync.sync.writes import save_mapping, write_key

ENTITY = EntityType.CREDIT_MEMO


async def apply_credit(
    ctx: SyncContext,
    written: Written,
    *,
    aforo_id: str,
    customer_qbo_id: str,
    invoice_id: int | None,
) -> str:
    """Apply what is left of the credit ``written`` wrote (or skipped as unchanged): to its
    invoice first, then the customer's oldest open invoices. What was applied where, for the
    log ("" when nothing).

    The credit memo is taken from the write's answer. One skipped as unchanged is done with
    once the application that followed its last write went through: its snapshot (kept
    then, with the SyncToken of that write) says so, and nothing is read. Without it (the
    attempt that wrote it failed before applying it all, or it was written before
    snapshots were kept) it is read and applied now."""
    if not await _should_apply(ctx):
        return ""
    relearned = False
    if isinstance(written.response, CreditMemo):
        credit = written.response
    else:
        mapping = await ctx.mapping(ENTITY, aforo_id)
        assert mapping is not None
        kept = await snapshots.load(
            ctx.session,
            realm_id=ctx.realm_id,
            entity_type=ENTITY,
            quickbooks_id=mapping.quickbooks_id,
            model=CreditMemo,
        )
        if kept is not None and kept.sync_token == mapping.sync_token:
            return ""
        credit = await ctx.qbo.read(CreditMemo, mapping.quickbooks_id)
        # Applications move a credit memo's SyncToken on: the mapping learns the new one.
        relearned = credit.sync_token != mapping.sync_token
    done, left = await _apply(ctx, credit, customer_qbo_id, invoice_id)
    await _applied(ctx, credit.model_copy(update={"balance": left}), aforo_id, relearned)
    return done


async def _should_apply(ctx: SyncContext) -> bool:
    policy = ctx.settings.apply_credits
    if policy != "company":
        return policy == "always"
    return (await company_setup(ctx)).auto_apply_credit


async def _apply(
    ctx: SyncContext, credit: CreditMemo, customer_qbo_id: str, invoice_id: int | None
) -> tuple[str, Decimal]:
    """What was applied where, and what is left of the credit. Each application is a zero
    payment with a requestid of its own, so a retry finds it again instead of applying
    twice."""
    assert credit.id is not None
    left = credit.balance or Decimal(0)
    if left <= 0:
        return "", left
    targets: list[Invoice] = []
    if invoice_id is not None:
        targets.append(Invoice(id=await ensure(ctx, EntityType.INVOICE, invoice_id)))
    # QuickBooks, not the invoices qbsync wrote, knows every open invoice of the customer
    # (entered by hand, or by the service before qbsync).
    opened = await ctx.qbo.query(
        Invoice, Q.eq("CustomerRef", customer_qbo_id) & Q.gt("Balance", 0), order_by="TxnDate"
    )
    targets += [i for i in opened if all(i.id != t.id for t in targets)]
    done: list[str] = []
    for target in targets:
        assert target.id is not None
        # Payments and credits of one invoice apply against its balance one at a time.
        owner = await repository.find_by_quickbooks_id(
            ctx.session,
            realm_id=ctx.realm_id,
            entity_type=EntityType.INVOICE,
            quickbooks_id=target.id,
        )
        if owner is not None:
            await repository.lock_entity(
                ctx.session,
                organization_id=ctx.organization_id,
                entity_type=EntityType.INVOICE,
                aforo_id=owner.aforo_id,
            )
        # Its balance now, under the lock: one too high would be refused, one too low would
        # move the credit to another invoice in silence.
        invoice = await ctx.qbo.read(Invoice, target.id)
        amount = credit_to_apply(left, invoice.balance or Decimal(0))
        if amount <= 0 or invoice.id is None:
            continue
        payment = map_credit_application(
            customer_qbo_id=customer_qbo_id,
            credit_qbo_id=credit.id,
            invoice_qbo_id=invoice.id,
            amount=amount,
            txn_date=credit.txn_date,
            note=f"Credit memo {credit.doc_number} applied by qbsync.",
        )
        await ctx.qbo.create(
            payment,
            request_id=await write_key(
                ctx,
                entity_type=ENTITY,
                aforo_id=CREDIT_MEMO_IDS.format(f"applied-{credit.id}"),
                operation=f"apply:{invoice.id}:{amount}:{left}",
            ),
        )
        # The balance the invoice's next payment applies against, without a read then.
        await snapshots.save(
            ctx.session,
            realm_id=ctx.realm_id,
            entity_type=EntityType.INVOICE,
            entity=invoice.model_copy(update={"balance": (invoice.balance or Decimal(0)) - amount}),
        )
        left -= amount
        done.append(f"{amount} applied to invoice {invoice.doc_number or invoice.id}")
        if left <= 0:
            break
    return "; ".join(done), left


async def _applied(ctx: SyncContext, kept: CreditMemo, aforo_id: str, relearned: bool) -> None:
    """The application that follows the credit's write went through: keep the credit with
    what is left of it."""
    if not relearned:
        await snapshots.save(ctx.session, realm_id=ctx.realm_id, entity_type=ENTITY, entity=kept)
        return
    mapping = await ctx.mapping(ENTITY, aforo_id)
    assert mapping is not None
    await save_mapping(
        ctx,
        kept,
        entity_type=ENTITY,
        aforo_id=aforo_id,
        payload_hash=mapping.payload_hash,
        keep_snapshot=True,
    )
