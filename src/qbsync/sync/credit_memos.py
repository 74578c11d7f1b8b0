"""Credits: an Aforo credit note, or an invoice whose credits exceed its charges, becomes the
customer's QuickBooks credit memo, applied to open invoices as the company's preferences
(or the organization's settings) say; a voided credit is deleted (QuickBooks cannot void
a credit memo)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from qbsync.aforo.billing import AforoInvoiceStatus
from qbsync.errors import InvalidInput
from qbsync.events.schemas import CreditNoteIssued
from qbsync.quickbooks.schemas import CreditMemo, Payment, Ref
from qbsync.snapshots import repository as snapshots
from qbsync.sync import repository
from qbsync.sync.attempts import run_attempt
from qbsync.sync.context import AforoClients, SyncContext
from qbsync.sync.credit_applications import apply_credit
from qbsync.sync.engine import ensure_all
from qbsync.sync.invoice_money import with_money_fields
from qbsync.sync.mappers.credit_memos import (
    CREDIT_MEMO_IDS,
    MappedCredit,
    is_credit,
    map_credit_note,
    map_invoice_credit,
)
from qbsync.sync.models import EntityType, Mapping, SyncAction
from qbsync.sync.registry import Details
from qbsync.sync.results import SyncResult, Written
from qbsync.sync.upserts import upsert
from qbsync.sync.writes import write_key

ENTITY = EntityType.CREDIT_MEMO


def _source(key: str) -> tuple[str, int]:
    """``note-5`` (credit note 5) or ``invoice-42`` (credit invoice 42)."""
    source, _, number = key.partition("-")
    if source not in {"note", "invoice"} or not number.isdigit() or not 0 < int(number) < 2**63:
        raise InvalidInput(
            f"credit {key[:40]!r} is neither note-<credit note id> nor invoice-<invoice id>"
        )
    return source, int(number)


def event_details(event: CreditNoteIssued) -> dict[str, Any] | None:
    del event  # the credit note is always read fresh
    return None


async def read(
    aforo: AforoClients, organization_id: int, key: str, caller_token: str | None
) -> dict[str, Any]:
    source, number = _source(key)
    if source == "invoice":
        invoice = await aforo.billing.get_invoice(
            number, org_id=organization_id, caller_token=caller_token
        )
        return {
            "exists": True,
            "status": str(invoice.status),
            "totalAmount": str(invoice.total_amount),
        }
    note = await aforo.billing.get_credit_note(
        number, org_id=organization_id, caller_token=caller_token
    )
    return {"exists": True, "status": note.status, "totalAmount": str(note.total_amount)}


async def sync(ctx: SyncContext, key: str, details: Details | None = None) -> SyncResult:
    del details
    source, number = _source(key)
    aforo_id = CREDIT_MEMO_IDS.format(key)

    async def work() -> Written:
        mapping = await ctx.mapping(ENTITY, aforo_id)
        credited_invoice: int | None = None
        if source == "note":
            note = await ctx.deps.aforo.billing.get_credit_note(
                number, org_id=ctx.organization_id, caller_token=ctx.caller_token
            )
            if note.status.upper() == "VOID":
                return await _delete(ctx, mapping, "the credit note is VOID in Aforo")
            customer_id, rate_plan_id = note.customer_id, None
            credited_invoice = note.invoice_id
            currency, aforo_tax, rate = note.currency, None, None
            what = f"credit note {note.credit_note_number}"
        else:
            invoice = await ctx.deps.aforo.billing.get_invoice(
                number, org_id=ctx.organization_id, caller_token=ctx.caller_token
            )
            if invoice.status == AforoInvoiceStatus.VOID:
                return await _delete(ctx, mapping, "the credit invoice is VOID in Aforo")
            if not is_credit(invoice):
                raise InvalidInput(
                    f"invoice {invoice.invoice_number} is not a credit; it is synced as an invoice"
                )
            customer_id, rate_plan_id = invoice.customer_id, invoice.rate_plan_id
            currency, rate = invoice.currency, invoice.tax_rate
            aforo_tax = -invoice.tax_amount if invoice.tax_amount is not None else None
            what = f"credit invoice {invoice.invoice_number}"
        customer_qbo_id, item_id = await ensure_all(
            ctx, (EntityType.CUSTOMER, customer_id), (EntityType.ITEM, rate_plan_id or None)
        )
        item_ref = Ref(value=item_id)
        mapped: MappedCredit = (
            map_credit_note(note, customer_qbo_id=customer_qbo_id, item_ref=item_ref)
            if source == "note"
            else map_invoice_credit(invoice, customer_qbo_id=customer_qbo_id, item_ref=item_ref)
        )
        payload = await with_money_fields(
            ctx,
            mapped.memo,
            line_rates=mapped.line_rates,
            aforo_tax=aforo_tax,
            document_rate=rate,
            currency=currency,
            exchange_rate=None,
            what=what,
        )
        written = await _write(ctx, payload, aforo_id, what)
        applied = await apply_credit(
            ctx,
            written,
            aforo_id=aforo_id,
            customer_qbo_id=customer_qbo_id,
            invoice_id=credited_invoice,
        )
        if not applied:
            return written
        return Written(
            written.action,
            written.quickbooks_id,
            f"{written.message}; {applied}",
            written.request,
            written.response,
            note=applied,
        )

    return await run_attempt(ctx, entity_type=ENTITY, aforo_id=aforo_id, work=work)


async def _write(ctx: SyncContext, payload: CreditMemo, aforo_id: str, what: str) -> Written:
    written, answer = await upsert(
        ctx, payload, entity_type=ENTITY, aforo_id=aforo_id, what=f"{what}: credit memo"
    )
    if answer is None or written.action != SyncAction.CREATE:
        return written
    return replace(
        written,
        message=f"{what}: credit memo {payload.doc_number} created for {answer.total_amt}",
    )


async def _delete(ctx: SyncContext, mapping: Mapping | None, why: str) -> Written:
    if mapping is None:
        return Written(SyncAction.SKIP, None, f"{why} and was never synced")
    if mapping.payload_hash == repository.VOIDED:
        return Written(SyncAction.SKIP, mapping.quickbooks_id, "already deleted")
    credit = await ctx.qbo.read(CreditMemo, mapping.quickbooks_id)
    removed: list[str] = []
    # QuickBooks deletes a credit memo only once no payment uses it.
    for link in credit.linked_txn or []:
        if link.txn_type != "Payment":
            continue
        payment = await ctx.qbo.read(Payment, link.txn_id)
        assert payment.sync_token is not None
        await ctx.qbo.delete(
            Payment,
            link.txn_id,
            payment.sync_token,
            request_id=await write_key(
                ctx,
                entity_type=ENTITY,
                aforo_id=mapping.aforo_id,
                operation=f"unapply:{link.txn_id}",
            ),
        )
        await snapshots.payment_removed(ctx.session, realm_id=ctx.realm_id, payment=payment)
        removed.append(link.txn_id)
    if removed:  # which moved its SyncToken on
        credit = await ctx.qbo.read(CreditMemo, mapping.quickbooks_id)
    assert credit.sync_token is not None
    await ctx.qbo.delete(
        CreditMemo,
        mapping.quickbooks_id,
        credit.sync_token,
        request_id=await write_key(
            ctx, entity_type=ENTITY, aforo_id=mapping.aforo_id, operation="delete"
        ),
    )
    await repository.save_mapping(
        ctx.session,
        organization_id=ctx.organization_id,
        realm_id=ctx.realm_id,
        entity_type=ENTITY,
        aforo_id=mapping.aforo_id,
        quickbooks_id=mapping.quickbooks_id,
        sync_token=None,
        payload_hash=repository.VOIDED,
    )
    ctx.saved(ENTITY, mapping.aforo_id)
    note = f"{why}: QuickBooks cannot void a credit memo, so it was deleted"
    if removed:
        note += f" (after removing its applications {', '.join(removed)})"
    return Written(SyncAction.VOID, mapping.quickbooks_id, note, note=note)
