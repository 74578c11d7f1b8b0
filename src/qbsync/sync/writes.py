"""Writes every entity shares: the sparse update that survives a stale SyncToken, and
saving the mapping of what was written."""

from __future__ import annotations

from typing import TypeVar

from qbsync.quickbooks.errors import QuickBooksStaleObject
from qbsync.quickbooks.schemas.base import WritableEntity
from qbsync.sync import repository
from qbsync.sync.context import SyncContext
from qbsync.sync.mappers.text import payload_hash, request_id
from qbsync.sync.models import EntityType, SyncAction
from qbsync.sync.results import Written

EntityT = TypeVar("EntityT", bound=WritableEntity)

STALE_RETRIES = 2


async def write_key(ctx: SyncContext, *, entity_type: str, aforo_id: str, operation: object) -> str:
    """The deterministic ``requestid`` of a write. QBO answers a repeated requestid with the
    first answer, even a refusal; so the key moves on once a refusal is on record (nothing
    was written then), and stays put across crashes and lost answers (no such record)."""
    generation = await ctx.refused_writes(entity_type, aforo_id)
    return request_id(ctx.realm_id, entity_type, aforo_id, operation, generation)


async def sparse_update(
    ctx: SyncContext,
    payload: EntityT,
    *,
    entity_type: str,
    aforo_id: str,
    qbo_id: str,
    sync_token: str | None,
) -> EntityT:
    """Update with our last SyncToken; on 5010 (someone edited it in QuickBooks since) re-read
    the record, take its SyncToken and apply our change again."""
    token = sync_token
    for attempt in range(STALE_RETRIES + 1):
        change = payload.model_copy(update={"id": qbo_id, "sync_token": token})
        rid = await write_key(
            ctx,
            entity_type=entity_type,
            aforo_id=aforo_id,
            operation=f"update:{qbo_id}:{token}:{payload_hash(payload)}",
        )
        try:
            return await ctx.qbo.update(change, request_id=rid)
        except QuickBooksStaleObject:
            if attempt == STALE_RETRIES:
                raise
            token = (await ctx.qbo.read(type(payload), qbo_id)).sync_token
    raise AssertionError("unreachable")


async def update_mapped(
    ctx: SyncContext,
    payload: EntityT,
    *,
    entity_type: str,
    aforo_id: str,
    qbo_id: str,
    sync_token: str | None,
    stored_hash: str | None = None,
) -> EntityT:
    """Update the mapped record (``sparse_update``) and remember what it now is, with
    ``stored_hash`` or else the hash of ``payload``."""
    updated = await sparse_update(
        ctx,
        payload,
        entity_type=entity_type,
        aforo_id=aforo_id,
        qbo_id=qbo_id,
        sync_token=sync_token,
    )
    await save_mapping(
        ctx,
        updated,
        entity_type=entity_type,
        aforo_id=aforo_id,
        payload_hash=stored_hash or payload_hash(payload),
    )
    return updated


async def link(
    ctx: SyncContext,
    payload: EntityT,
    existing: EntityT,
    *,
    entity_type: str,
    aforo_id: str,
    message: str,
) -> Written:
    """Adopt ``existing`` (a QuickBooks record nobody else owns) as ``aforo_id``'s: write
    ours onto it and remember it."""
    assert existing.id is not None
    updated = await update_mapped(
        ctx,
        payload,
        entity_type=entity_type,
        aforo_id=aforo_id,
        qbo_id=existing.id,
        sync_token=existing.sync_token,
    )
    return Written(SyncAction.LINK, existing.id, message, payload, updated)


async def save_mapping(
    ctx: SyncContext,
    written: WritableEntity,
    *,
    entity_type: str,
    aforo_id: str,
    payload_hash: str | None,
    keep_snapshot: bool = False,
) -> None:
    """Remember the QBO record (and the SyncToken and payload it now has) for ``aforo_id``;
    an invoice's (or, with ``keep_snapshot``, any record's) snapshot with it."""
    assert written.id is not None
    await repository.save_mapping(
        ctx.session,
        organization_id=ctx.organization_id,
        realm_id=ctx.realm_id,
        entity_type=entity_type,
        aforo_id=aforo_id,
        quickbooks_id=written.id,
        sync_token=written.sync_token,
        payload_hash=payload_hash,
        # The invoice pages answer from this, not from a QuickBooks read per page view.
        snapshot=written if keep_snapshot or entity_type == EntityType.INVOICE else None,
    )
    ctx.saved(entity_type, aforo_id)
