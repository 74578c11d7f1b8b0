"""Rate plan -> QBO Service item (one per plan, created on demand)."""

from __future__ import annotations

from qbsync.ids import IdCodec
from qbsync.quickbooks.schemas import Ref
from qbsync.quickbooks.schemas.names import Item
from qbsync.sync.mappers.text import ITEM_NAME_MAX, clean_name

# One item per rate plan; invoices without one use the fallback item.
ITEM_IDS = IdCodec("rateplan-", fallback="item-fallback")
# The original service's fallback, for when the configured one cleans down to nothing.
DEFAULT_ITEM_NAME = "Subscription Service"


def item_name(rate_plan_name: str | None, *, fallback: str) -> str:
    """The plan's name made QBO-safe, else the (user-configured, so also cleaned) fallback."""
    return (
        clean_name(rate_plan_name, max_len=ITEM_NAME_MAX)
        or clean_name(fallback, max_len=ITEM_NAME_MAX)
        or DEFAULT_ITEM_NAME
    )


def map_item(name: str, *, income_account_id: str, description: str | None = None) -> Item:
    return Item(
        name=name,
        type="Service",
        income_account_ref=Ref(value=income_account_id),
        description=description,
        active=True,
    )
