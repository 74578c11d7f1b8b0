"""Writes every entity shares: the sparse update that survives a stale SyncToken."""

from __future__ import annotations

from typing import TypeVar

from qbsync.quickbooks.errors import QuickBooksStaleObject
from qbsync.quickbooks.schemas.base import WritableEntity
from qbsync.sync.context import SyncContext
from qbsync.sync.mappers.text import payload_hash, request_id

EntityT = TypeVar("EntityT", bound=WritableEntity)

STALE_RETRIES = 2


async def sparse_update(
    ctx: SyncContext, payload: EntityT, *, entity_type: str, qbo_id: str, sync_token: str | None
) -> EntityT:
    """Update with our last SyncToken; on 5010 (someone edited it in QuickBooks since) re-read
    the record, take its SyncToken and apply our change again."""
    token = sync_token
    for attempt in range(STALE_RETRIES + 1):
        change = payload.model_copy(update={"id": qbo_id, "sync_token": token})
        rid = request_id(ctx.realm_id, entity_type, qbo_id, token, payload_hash(payload))
        try:
            return await ctx.qbo.update(change, request_id=rid)
        except QuickBooksStaleObject:
            if attempt == STALE_RETRIES:
                raise
            token = (await ctx.qbo.read(type(payload), qbo_id)).sync_token
    raise AssertionError("unreachable")
