"""Invoices: metering's invoice to a QBO invoice, with its customer and items first."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from qbsync.aforo.billing import AforoInvoiceStatus
from qbsync.errors import Conflict
from qbsync.quickbooks.errors import QuickBooksDuplicateDocNumber, QuickBooksNotFound
from qbsync.quickbooks.query import Q
from qbsync.quickbooks.schemas import Ref
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.sync import credit_memos, customers, repository
from qbsync.sync.adoption import current_index
from qbsync.sync.attempts import run_attempt
from qbsync.sync.company import company_setup
from qbsync.sync.context import AforoClients, SyncContext
from qbsync.sync.engine import ensure_all
from qbsync.sync.errors import DependencyFailed
from qbsync.sync.invoice_money import tax_note, with_money_fields
from qbsync.sync.invoice_voids import void_invoice
from qbsync.sync.mappers.credit_memos import is_credit
from qbsync.sync.mappers.customers import CUSTOMER_IDS
from qbsync.sync.mappers.invoices import INVOICE_IDS, map_invoice, money
from qbsync.sync.mappers.tax import invoice_line_rates
from qbsync.sync.mappers.text import payload_hash
from qbsync.sync.models import EntityType, Mapping, SyncAction
from qbsync.sync.registry import Details
from qbsync.sync.results import SyncResult, Written
from qbsync.sync.writes import link, save_mapping, update_mapped, write_key

ENTITY = EntityType.INVOICE


async def read(
    aforo: AforoClients, organization_id: int, invoice_id: int, caller_token: str | None
) -> dict[str, Any]:
    invoice = await aforo.billing.get_invoice(
        invoice_id, org_id=organization_id, caller_token=caller_token
    )
    return {"exists": True, "status": str(invoice.status), "totalAmount": str(invoice.total_amount)}


async def sync(ctx: SyncContext, invoice_id: int, details: Details | None = None) -> SyncResult:
    """Create, adopt, update or void the invoice's QuickBooks record, with its customer and
    items first."""
    del details  # nothing an event says is enough: the record is read fresh
    aforo_id = INVOICE_IDS.format(invoice_id)

    async def work() -> Written:
        invoice = await ctx.deps.aforo.billing.get_invoice(
            invoice_id, org_id=ctx.organization_id, caller_token=ctx.caller_token
        )
        mapping = await ctx.mapping(ENTITY, aforo_id)
        if invoice.status == AforoInvoiceStatus.VOID:
            return await void_invoice(ctx, mapping)
        if (
            invoice.status == AforoInvoiceStatus.DRAFT
            and ctx.settings.draft_invoices == "wait"
            and mapping is None
        ):
            why = (
                f"invoice {invoice.invoice_number} is a DRAFT in Aforo: it waits until it is "
                "issued (settings draftInvoices=wait); invoice.updated or a retry syncs it then"
            )
            return Written(SyncAction.SKIP, None, why, note=why)
        if is_credit(invoice):
            return await _as_credit_memo(ctx, invoice_id, invoice.invoice_number)
        await _customer_in_its_currency(ctx, invoice.customer_id, invoice.currency)
        customer_qbo_id, item_id = await ensure_all(
            ctx,
            (EntityType.CUSTOMER, invoice.customer_id),
            (EntityType.ITEM, invoice.rate_plan_id or None),
        )
        item_ref = Ref(value=item_id)
        payload, totals = map_invoice(
            invoice,
            customer_qbo_id=customer_qbo_id,
            item_ref=item_ref,
            terms_days=ctx.settings.payment_terms_days,
        )
        payload = await with_money_fields(
            ctx,
            payload,
            line_rates=invoice_line_rates(invoice),
            aforo_tax=invoice.tax_amount,
            document_rate=invoice.tax_rate,
            currency=invoice.currency,
            exchange_rate=invoice.exchange_rate,
            what=f"invoice {invoice.invoice_number}",
        )
        note = ""
        if totals.total != money(invoice.total_amount) and invoice.tax_amount is None:
            note = f" (lines add up to {totals.total}, metering's total is {invoice.total_amount})"
        if mapping is not None:
            written = await _update(ctx, payload, mapping, note)
        else:
            written = await _create_or_adopt(ctx, payload, aforo_id, note)
        answer = written.response if isinstance(written.response, Invoice) else None
        mismatch = tax_note(invoice.tax_amount, answer)
        if mismatch is None:
            return written
        return replace(written, message=f"{written.message}; {mismatch}", note=mismatch)

    return await run_attempt(ctx, entity_type=ENTITY, aforo_id=aforo_id, work=work)


async def _customer_in_its_currency(
    ctx: SyncContext, customer_id: int, currency: str | None
) -> None:
    """A customer QuickBooks does not hold yet, first billed in a foreign currency of a
    multi-currency company, is created in that currency (QuickBooks fixes it then)."""
    if currency is None:
        return
    setup = (await company_setup(ctx)).currency
    if not setup.multi_currency or currency.upper() == setup.home:
        return
    mapped = await ctx.mapping(EntityType.CUSTOMER, CUSTOMER_IDS.format(customer_id))
    if mapped is None:
        result = await customers.sync(ctx, customer_id, {"currency": currency.upper()})
        if result.error is not None:
            raise DependencyFailed(
                f"customer {CUSTOMER_IDS.format(customer_id)} could not be synced: "
                f"{result.error.message}",
                cause=result.error,
            )


async def _as_credit_memo(ctx: SyncContext, invoice_id: int, number: str) -> Written:
    """A credit invoice is written as the customer's credit memo (its own kind and log row)."""
    result = await credit_memos.sync(ctx, f"invoice-{invoice_id}", None)
    if result.error is not None:
        raise DependencyFailed(
            f"invoice {number} is a credit; its credit memo could not be synced: "
            f"{result.error.message}",
            cause=result.error,
        )
    return Written(
        SyncAction.SKIP,
        None,
        f"invoice {number} is a credit: written as QuickBooks credit memo "
        f"{result.quickbooks_id} ({result.aforo_id})",
        note=f"a credit: see credit memo {result.aforo_id}",
    )


async def _update(ctx: SyncContext, payload: Invoice, mapping: Mapping, note: str) -> Written:
    hash_ = payload_hash(payload)
    if mapping.payload_hash == hash_:
        return Written(SyncAction.SKIP, mapping.quickbooks_id, "unchanged since the last sync")
    # Sending Line replaces every line, which is what we want: metering's lines are the truth.
    try:
        updated = await update_mapped(
            ctx,
            payload,
            entity_type=ENTITY,
            aforo_id=mapping.aforo_id,
            qbo_id=mapping.quickbooks_id,
            sync_token=mapping.sync_token,
            stored_hash=hash_,
        )
    except QuickBooksNotFound:
        return await _recreate(ctx, payload, mapping, note)
    return Written(
        SyncAction.UPDATE, mapping.quickbooks_id, "invoice updated" + note, payload, updated
    )


async def _recreate(ctx: SyncContext, payload: Invoice, mapping: Mapping, note: str) -> Written:
    """The mapped invoice was deleted in QuickBooks (ids never come back): create it again.
    The requestid names the deleted record, so a repeat of this create is the same create."""
    gone = mapping.quickbooks_id
    created = await ctx.qbo.create(
        payload,
        request_id=await write_key(
            ctx, entity_type=ENTITY, aforo_id=mapping.aforo_id, operation=f"recreate:{gone}"
        ),
    )
    assert created.id is not None
    await save_mapping(
        ctx,
        created,
        entity_type=ENTITY,
        aforo_id=mapping.aforo_id,
        payload_hash=payload_hash(payload),
    )
    return Written(
        SyncAction.CREATE,
        created.id,
        f"invoice {payload.doc_number} created again: QuickBooks invoice {gone} was deleted "
        "in QuickBooks" + note,
        payload,
        created,
    )


async def _find_by_doc_number(ctx: SyncContext, doc_number: str) -> Invoice | None:
    found = await ctx.qbo.query(Invoice, Q.eq("DocNumber", doc_number))
    return found[0] if found else None


async def _create_or_adopt(ctx: SyncContext, payload: Invoice, aforo_id: str, note: str) -> Written:
    """Create first (no read). An invoice already holding our DocNumber is found by the
    duplicate fault (6140, companies that forbid duplicate numbers) or in the bulk index a
    backfill builds; where neither applies, the drift report finds it (docs/quickbooks-cost.md)."""
    assert payload.doc_number is not None
    assert payload.customer_ref is not None
    index = current_index(ctx.realm_id)
    existing = None
    if index is not None and index.covers_doc_number(payload.doc_number):
        existing = index.invoices.get(payload.doc_number)
    if existing is None:
        try:
            created = await ctx.qbo.create(
                payload,
                request_id=await write_key(
                    ctx, entity_type=ENTITY, aforo_id=aforo_id, operation="create"
                ),
            )
        except QuickBooksDuplicateDocNumber:
            existing = await _find_by_doc_number(ctx, payload.doc_number)
            if existing is None:
                raise
        else:
            assert created.id is not None
            await save_mapping(
                ctx,
                created,
                entity_type=ENTITY,
                aforo_id=aforo_id,
                payload_hash=payload_hash(payload),
            )
            return Written(
                SyncAction.CREATE,
                created.id,
                f"invoice {payload.doc_number} created" + note,
                payload,
                created,
            )
    # An invoice with our number: ours (a create whose answer was lost, or the original
    # service's) only if it is for the same customer.
    assert existing.id is not None
    if existing.customer_ref is None or existing.customer_ref.value != payload.customer_ref.value:
        raise Conflict(
            f"DocNumber {payload.doc_number} is already used by QuickBooks invoice {existing.id} "
            "of another customer",
            hint="rename or delete that invoice in QuickBooks, then retry",
        )
    owner = await repository.find_by_quickbooks_id(
        ctx.session, realm_id=ctx.realm_id, entity_type=ENTITY, quickbooks_id=existing.id
    )
    if owner is not None:
        raise Conflict(
            f"QuickBooks invoice {existing.id} ({payload.doc_number}) is already linked to {owner.aforo_id}"
        )
    return await link(
        ctx,
        payload,
        existing,
        entity_type=ENTITY,
        aforo_id=aforo_id,
        message=f"adopted the existing QuickBooks invoice {payload.doc_number}" + note,
    )
