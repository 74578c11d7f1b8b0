"""Service items: one per rate plan (named after it), created on demand, plus a fallback."""

from __future__ import annotations

import logging

from qbsync.aforo.errors import AforoNotFound
from qbsync.errors import InvalidInput
from qbsync.quickbooks.errors import QuickBooksDuplicateName
from qbsync.quickbooks.query import Q
from qbsync.quickbooks.schemas.names import Account, Item
from qbsync.sync.attempts import run_attempt
from qbsync.sync.context import SyncContext
from qbsync.sync.mappers.items import (
    ITEM_IDS,
    item_name,
    map_item,
)
from qbsync.sync.mappers.text import payload_hash
from qbsync.sync.models import EntityType, SyncAction
from qbsync.sync.registry import Details
from qbsync.sync.results import SyncResult, Written
from qbsync.sync.writes import save_mapping, write_key

log = logging.getLogger(__name__)

ENTITY = EntityType.ITEM
PREFERRED_INCOME_SUBTYPE = "ServiceFeeIncome"


async def sync(
    ctx: SyncContext, rate_plan_id: int | None, details: Details | None = None
) -> SyncResult:
    """The item an invoice line uses: its rate plan's, or (None) the configured fallback.
    Synced only through ``ensure`` from its invoices."""
    del details  # nothing an event says is enough: the record is read fresh
    aforo_id = ITEM_IDS.format(rate_plan_id or None)

    async def work() -> Written:
        # Under the item's lock: the plan's first invoices of a month-end burst each start
        # this sync before the first of them has mapped the item; the others find it here.
        mapping = await ctx.mapping(ENTITY, aforo_id)
        if mapping is not None:
            return Written(SyncAction.SKIP, mapping.quickbooks_id, "already synced")
        chosen = _configured_item(ctx, rate_plan_id)
        if chosen is not None:
            return await _use_configured(ctx, aforo_id, chosen)
        name, product_id = await _name_for(ctx, rate_plan_id)
        account = await income_account_id(ctx, rate_plan_id=rate_plan_id, product_id=product_id)
        return await _adopt_or_create(ctx, aforo_id, name, account)

    return await run_attempt(ctx, entity_type=ENTITY, aforo_id=aforo_id, work=work)


def _configured_item(ctx: SyncContext, rate_plan_id: int | None) -> str | None:
    """The existing item a person chose in the settings for this rate plan (or for lines
    without one), if any."""
    settings = ctx.settings
    if rate_plan_id is None:
        return settings.fallback_item_id
    return settings.rate_plan_item_ids.get(str(rate_plan_id))


async def _use_configured(ctx: SyncContext, aforo_id: str, item_id: str) -> Written:
    item = await ctx.qbo.read(Item, item_id)
    await save_mapping(ctx, item, entity_type=ENTITY, aforo_id=aforo_id, payload_hash=None)
    return Written(
        SyncAction.LINK, item_id, f"using item '{item.name}' (chosen in the settings)", None, item
    )


async def _name_for(ctx: SyncContext, rate_plan_id: int | None) -> tuple[str, int | None]:
    """The item's name and the rate plan's product (for a per-product income account)."""
    fallback = ctx.settings.fallback_item_name
    if rate_plan_id is None:
        return item_name(None, fallback=fallback), None
    try:
        plan = await ctx.deps.aforo.rate_plans.get_rate_plan(
            rate_plan_id, org_id=ctx.organization_id, caller_token=ctx.caller_token
        )
    except AforoNotFound:
        log.info(
            "rate plan not found; using the fallback item", extra={"rate_plan_id": rate_plan_id}
        )
        return fallback, None
    return item_name(plan.rate_plan_name, fallback=fallback), plan.product_id


async def _adopt_or_create(ctx: SyncContext, aforo_id: str, name: str, account_id: str) -> Written:
    """Items are a shared catalog: an item with the plan's name is the plan's item. Created
    first (no read); a name in use (6240) is looked up and used."""
    payload = map_item(name, income_account_id=account_id)
    try:
        created = await ctx.qbo.create(
            payload,
            request_id=await write_key(
                ctx, entity_type=ENTITY, aforo_id=aforo_id, operation=f"create:{name}"
            ),
        )
    except QuickBooksDuplicateName:
        existing = await _find(ctx, name)  # there already, or inactive
        if existing is None or existing.id is None:
            raise
        await save_mapping(ctx, existing, entity_type=ENTITY, aforo_id=aforo_id, payload_hash=None)
        return Written(
            SyncAction.LINK, existing.id, f"using the existing item '{name}'", None, existing
        )
    assert created.id is not None
    await save_mapping(
        ctx, created, entity_type=ENTITY, aforo_id=aforo_id, payload_hash=payload_hash(payload)
    )
    return Written(
        SyncAction.CREATE, created.id, f"service item '{name}' created", payload, created
    )


async def _find(ctx: SyncContext, name: str) -> Item | None:
    found = await ctx.qbo.query(Item, Q.eq("Name", name) & Q.in_("Active", [True, False]))
    return found[0] if found else None


async def income_account_id(
    ctx: SyncContext, *, rate_plan_id: int | None = None, product_id: int | None = None
) -> str:
    """The rate plan's income account from the settings, else its product's, else the
    organization's, else the company's first active Income account (Service Fee Income
    preferred). Accounts are never created silently."""
    settings = ctx.settings
    configured = (
        (settings.rate_plan_income_account_ids.get(str(rate_plan_id)) if rate_plan_id else None)
        or (settings.product_income_account_ids.get(str(product_id)) if product_id else None)
        or settings.income_account_id
    )
    if configured:
        return configured
    accounts = await ctx.qbo.query(Account, Q.eq("AccountType", "Income") & Q.eq("Active", True))
    if not accounts:
        raise InvalidInput(
            "the QuickBooks company has no active Income account for service items",
            hint="create an Income account in QuickBooks or set income_account_id in the connection settings",
        )
    preferred = [a for a in accounts if a.account_sub_type == PREFERRED_INCOME_SUBTYPE]
    chosen = (preferred or accounts)[0]
    assert chosen.id is not None
    return chosen.id
