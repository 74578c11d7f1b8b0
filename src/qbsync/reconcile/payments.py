"""Payments changed in QuickBooks: the invoices they pay get their balance as QuickBooks has
it now, whoever entered the payment."""

from __future__ import annotations

from typing import Any

from qbsync.quickbooks.errors import QuickBooksNotFound
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.quickbooks.schemas.payment import Payment
from qbsync.reconcile import repository
from qbsync.reconcile.compare import Difference
from qbsync.reconcile.flags import flag
from qbsync.reconcile.models import MismatchKind, Repair
from qbsync.reconcile.outcomes import Outcome, save_invoice, skipped
from qbsync.scheduler.execution import Attempt
from qbsync.sync.context import SyncContext
from qbsync.sync.models import EntityType, Mapping, SyncAction
from qbsync.sync.results import SyncResult, Written


async def handle_payment(ctx: SyncContext, mapping: Mapping, details: dict[str, Any]) -> Outcome:  # noqa: ARG001
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
            await save_invoice(ctx, invoice)
            said.append(f"{mapped.aforo_id} balance {invoice.balance}")
    return f": {', '.join(said)}" if said else ""


async def payment_by_a_person(
    ctx: SyncContext, qbo_id: str, details: dict[str, Any], attempt: Attempt
) -> SyncResult:
    """A payment entered in QuickBooks (not by qbsync): the invoices it pays follow."""
    if details.get("operation") == "Delete":
        return skipped(attempt, "a payment qbsync never wrote was deleted in QuickBooks")
    try:
        payment = await ctx.qbo.read(Payment, qbo_id)
    except QuickBooksNotFound:
        return skipped(attempt, f"QuickBooks payment {qbo_id} is gone")
    balances = await follow_payment(ctx, payment)
    return skipped(
        attempt,
        f"payment {qbo_id} entered in QuickBooks{balances or ': pays nothing qbsync wrote'}",
    )
