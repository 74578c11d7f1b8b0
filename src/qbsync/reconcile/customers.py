"""Customers changed in QuickBooks: merged away (the mapping follows the survivor, also when
the merge's webhook was lost), made inactive, edited."""

from __future__ import annotations

from typing import Any

from qbsync.quickbooks.errors import QuickBooksNotFound
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.quickbooks.schemas.names import Customer
from qbsync.reconcile import repository
from qbsync.reconcile.compare import Difference
from qbsync.reconcile.flags import flag
from qbsync.reconcile.models import MismatchKind, RemoteStatus, Repair
from qbsync.reconcile.outcomes import Outcome, gone
from qbsync.sync import repository as sync_repository
from qbsync.sync.context import SyncContext
from qbsync.sync.models import EntityType, Mapping, SyncAction
from qbsync.sync.results import Written


async def handle_customer(ctx: SyncContext, mapping: Mapping, details: dict[str, Any]) -> Outcome:
    survivor_id = details.get("survivorId") or await _merged_into(ctx, mapping)
    if isinstance(survivor_id, str):
        survivor = await ctx.qbo.read(Customer, survivor_id)
        await sync_repository.save_mapping(
            ctx.session,
            organization_id=ctx.organization_id,
            realm_id=ctx.realm_id,
            entity_type=EntityType.CUSTOMER,
            aforo_id=mapping.aforo_id,
            quickbooks_id=survivor_id,
            sync_token=survivor.sync_token,
            payload_hash=mapping.payload_hash,
        )
        await repository.save_remote(
            ctx.session,
            realm_id=ctx.realm_id,
            entity_type=EntityType.CUSTOMER,
            quickbooks_id=mapping.quickbooks_id,
            status=RemoteStatus.MERGED,
            merged_into=survivor_id,
        )
        await flag(ctx, mapping, [])
        return Outcome(
            Written(
                SyncAction.LINK,
                survivor_id,
                f"QuickBooks customer {mapping.quickbooks_id} was merged into {survivor_id}; "
                "the mapping follows the surviving customer",
            )
        )
    try:
        current = await ctx.qbo.read(Customer, mapping.quickbooks_id)
    except QuickBooksNotFound:
        # Customers are never deleted, only merged away: when the merge's webhook was lost
        # (the sweep saw the customer go), its invoices show where they went.
        moved_to = await _survivor_from_invoices(ctx, mapping)
        if moved_to is None:
            return await gone(ctx, mapping)
        return await handle_customer(ctx, mapping, {"survivorId": moved_to})
    active = current.active is not False
    await repository.save_remote(
        ctx.session,
        realm_id=ctx.realm_id,
        entity_type=EntityType.CUSTOMER,
        quickbooks_id=mapping.quickbooks_id,
        status=RemoteStatus.ACTIVE if active else RemoteStatus.DELETED,
        sync_token=current.sync_token,
    )
    if not active:
        await flag(
            ctx, mapping, [Difference(MismatchKind.STATUS, "ACTIVE", "INACTIVE", Repair.REVIEW)]
        )
        return Outcome(
            Written(SyncAction.NONE, mapping.quickbooks_id, "made inactive in QuickBooks; flagged")
        )
    await flag(ctx, mapping, [])
    return Outcome(
        Written(SyncAction.NONE, mapping.quickbooks_id, "customer changed in QuickBooks")
    )


async def _merged_into(ctx: SyncContext, mapping: Mapping) -> str | None:
    """A merge heard from Intuit is remembered at once: the work that comes later for the
    merged-away customer (a CDC delete, say) still knows the survivor."""
    known = await repository.remote_records(
        ctx.session,
        realm_id=ctx.realm_id,
        entity_type=EntityType.CUSTOMER,
        quickbooks_ids=[mapping.quickbooks_id],
    )
    remote = known.get(mapping.quickbooks_id)
    return (
        remote.merged_into if remote is not None and remote.status == RemoteStatus.MERGED else None
    )


async def _survivor_from_invoices(ctx: SyncContext, mapping: Mapping) -> str | None:
    customer_id = int(mapping.aforo_id.removeprefix("CUST-"))
    invoices = await ctx.deps.aforo.billing.list_invoices(org_id=ctx.organization_id)
    for invoice in invoices:
        if invoice.customer_id != customer_id:
            continue
        mapped = await sync_repository.get_mapping(
            ctx.session,
            organization_id=ctx.organization_id,
            realm_id=ctx.realm_id,
            entity_type=EntityType.INVOICE,
            aforo_id=f"invoice-{invoice.id}",
        )
        if mapped is None:
            continue
        try:
            held = await ctx.qbo.read(Invoice, mapped.quickbooks_id)
        except QuickBooksNotFound:
            continue
        moved_to = held.customer_ref.value if held.customer_ref else None
        return moved_to if moved_to and moved_to != mapping.quickbooks_id else None
    return None
