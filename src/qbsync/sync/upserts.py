"""Write a document qbsync owns: skip it when its payload is unchanged since the last sync,
update it when it changed, create it (with its deterministic requestid) the first time."""

from __future__ import annotations

from typing import TypeVar

from qbsync.quickbooks.schemas.base import WritableEntity
from qbsync.sync.context import SyncContext
from qbsync.sync.mappers.text import payload_hash
from qbsync.sync.models import SyncAction
from qbsync.sync.results import Written
from qbsync.sync.writes import save_mapping, update_mapped, write_key

EntityT = TypeVar("EntityT", bound=WritableEntity)


async def upsert(
    ctx: SyncContext, payload: EntityT, *, entity_type: str, aforo_id: str, what: str
) -> tuple[Written, EntityT | None]:
    """The outcome (``what`` names the document in its message) and QuickBooks' answer
    (None when skipped)."""
    skipped = await unchanged(ctx, payload, entity_type=entity_type, aforo_id=aforo_id)
    if skipped is not None:
        return skipped, None
    hash_ = payload_hash(payload)
    mapping = await ctx.mapping(entity_type, aforo_id)
    if mapping is not None:
        updated = await update_mapped(
            ctx,
            payload,
            entity_type=entity_type,
            aforo_id=aforo_id,
            qbo_id=mapping.quickbooks_id,
            sync_token=mapping.sync_token,
            stored_hash=hash_,
        )
        return Written(
            SyncAction.UPDATE, mapping.quickbooks_id, f"{what} updated", payload, updated
        ), updated
    created = await ctx.qbo.create(
        payload,
        request_id=await write_key(
            ctx, entity_type=entity_type, aforo_id=aforo_id, operation="create"
        ),
    )
    assert created.id is not None
    await save_mapping(ctx, created, entity_type=entity_type, aforo_id=aforo_id, payload_hash=hash_)
    return Written(SyncAction.CREATE, created.id, f"{what} created", payload, created), created


async def unchanged(
    ctx: SyncContext, payload: WritableEntity, *, entity_type: str, aforo_id: str
) -> Written | None:
    """The skip of a mapped document whose payload is the one qbsync last wrote; None when
    it is to be written. A kind that reads QuickBooks before a write asks this first, so
    that a redelivery reads nothing."""
    mapping = await ctx.mapping(entity_type, aforo_id)
    if mapping is None or mapping.payload_hash != payload_hash(payload):
        return None
    return Written(SyncAction.SKIP, mapping.quickbooks_id, "unchanged since the last sync")
