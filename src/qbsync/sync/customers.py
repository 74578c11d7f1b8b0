"""Customers: create, adopt or update the QBO customer of an Aforo customer."""

from __future__ import annotations

from typing import Any

from qbsync.aforo.orgs import AforoCustomer
from qbsync.errors import Conflict, InvalidInput
from qbsync.quickbooks.errors import QuickBooksDuplicateName
from qbsync.quickbooks.query import Q
from qbsync.quickbooks.schemas import Ref
from qbsync.quickbooks.schemas.names import Customer
from qbsync.sync import repository
from qbsync.sync.adoption import current_index
from qbsync.sync.attempts import run_attempt
from qbsync.sync.context import AforoClients, SyncContext
from qbsync.sync.mappers.customers import (
    CUSTOMER_IDS,
    base_display_name,
    is_safe_to_adopt,
    map_customer,
    suffixed_display_name,
)
from qbsync.sync.mappers.text import payload_hash
from qbsync.sync.models import EntityType, Mapping, SyncAction
from qbsync.sync.registry import Details
from qbsync.sync.results import SyncResult, Written
from qbsync.sync.writes import link, save_mapping, update_mapped, write_key

ENTITY = EntityType.CUSTOMER


async def read(
    aforo: AforoClients, organization_id: int, customer_id: int, caller_token: str | None
) -> dict[str, Any]:
    customer = await aforo.orgs.get_customer(
        customer_id, org_id=organization_id, caller_token=caller_token
    )
    return {"exists": True, "status": customer.status}


async def sync(ctx: SyncContext, customer_id: int, details: Details | None = None) -> SyncResult:
    """Create, adopt or update the customer's QuickBooks record. ``details`` may name the
    currency a new customer is created in (``{"currency": "EUR"}``, from its first invoice
    in a multi-currency company): QuickBooks fixes it at creation."""
    currency = str(details["currency"]) if details and details.get("currency") else None
    aforo_id = CUSTOMER_IDS.format(customer_id)

    async def work() -> Written:
        customer = await ctx.deps.aforo.orgs.get_customer(
            customer_id, org_id=ctx.organization_id, caller_token=ctx.caller_token
        )
        if not customer.is_active:
            raise InvalidInput(
                f"customer {aforo_id} is {customer.status or 'not ACTIVE'} in Aforo; only ACTIVE customers are synced",
                hint="activate the customer in Aforo, then retry",
            )
        mapping = await ctx.mapping(ENTITY, aforo_id)
        if mapping is not None:
            return await _update(ctx, customer, mapping)
        return await _create_or_adopt(ctx, customer, currency)

    return await run_attempt(ctx, entity_type=ENTITY, aforo_id=aforo_id, work=work)


async def _update(ctx: SyncContext, customer: AforoCustomer, mapping: Mapping) -> Written:
    """Send what changed. A customer that had to take the suffixed name keeps it."""
    plain = map_customer(customer, display_name=base_display_name(customer))
    suffixed = map_customer(customer, display_name=suffixed_display_name(customer))
    if mapping.payload_hash in (payload_hash(plain), payload_hash(suffixed)):
        return Written(SyncAction.SKIP, mapping.quickbooks_id, "unchanged since the last sync")
    for payload in (plain, suffixed):
        try:
            updated = await update_mapped(
                ctx,
                payload,
                entity_type=ENTITY,
                aforo_id=mapping.aforo_id,
                qbo_id=mapping.quickbooks_id,
                sync_token=mapping.sync_token,
            )
        except QuickBooksDuplicateName:
            continue
        return Written(
            SyncAction.UPDATE, mapping.quickbooks_id, "customer updated", payload, updated
        )
    raise Conflict(
        f"both '{plain.display_name}' and '{suffixed.display_name}' are taken in QuickBooks",
        hint="rename one of the QuickBooks records, then retry",
    )


async def _find_by_name(ctx: SyncContext, name: str) -> Customer | None:
    # Inactive customers keep their names reserved, so look at them too.
    found = await ctx.qbo.query(
        Customer, Q.eq("DisplayName", name) & Q.in_("Active", [True, False])
    )
    return found[0] if found else None


async def _adopt(
    ctx: SyncContext, existing: Customer, payload: Customer, aforo_id: str
) -> Written | None:
    """Take over ``existing`` when nobody owns it and it looks like this customer."""
    if existing.id is None:
        return None
    owner = await repository.find_by_quickbooks_id(
        ctx.session, realm_id=ctx.realm_id, entity_type=ENTITY, quickbooks_id=existing.id
    )
    if owner is not None or not is_safe_to_adopt(existing, payload, aforo_id):
        return None
    return await link(
        ctx,
        payload,
        existing,
        entity_type=ENTITY,
        aforo_id=aforo_id,
        message=f"adopted the existing QuickBooks customer '{payload.display_name}'",
    )


async def _create_or_adopt(
    ctx: SyncContext, customer: AforoCustomer, currency: str | None = None
) -> Written:
    """Create first (no read); a name in use (6240) is looked up, and adopted when it is safe
    to, else the suffixed name is tried. A bulk index, when the caller built one, answers
    instead of QuickBooks."""
    aforo_id = CUSTOMER_IDS.format(customer.customer_id)
    index = current_index(ctx.realm_id)
    for name in (base_display_name(customer), suffixed_display_name(customer)):
        payload = map_customer(customer, display_name=name)
        if currency is not None:
            payload = payload.model_copy(update={"currency_ref": Ref(value=currency)})
        if index is not None and index.covers_name(name):
            existing = index.customers.get(name)
            if existing is not None:
                adopted = await _adopt(ctx, existing, payload, aforo_id)
                if adopted is not None:
                    return adopted
                continue  # the name belongs to someone else: try the suffixed one
        try:
            created = await ctx.qbo.create(
                payload,
                request_id=await write_key(
                    ctx, entity_type=ENTITY, aforo_id=aforo_id, operation=f"create:{name}"
                ),
            )
        except QuickBooksDuplicateName:
            existing = await _find_by_name(ctx, name)
            if existing is not None:
                adopted = await _adopt(ctx, existing, payload, aforo_id)
                if adopted is not None:
                    return adopted
            continue  # someone else's, or a vendor's or employee's (not a Customer)
        await save_mapping(
            ctx, created, entity_type=ENTITY, aforo_id=aforo_id, payload_hash=payload_hash(payload)
        )
        assert created.id is not None
        return Written(
            SyncAction.CREATE, created.id, f"customer '{name}' created", payload, created
        )
    raise Conflict(
        f"QuickBooks already has other records named '{base_display_name(customer)}' and "
        f"'{suffixed_display_name(customer)}'",
        hint="rename one of the QuickBooks records, then retry",
    )
