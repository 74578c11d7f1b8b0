"""Parked messages: list, inspect, replay to their queue, discard; every action is logged.

Who may call what: a tenant lists, inspects and replays its own organization's parked
messages (a replay is a retry); discarding one and replaying everything at once are
operators' decisions (``OperatorDep``). Messages that name no organization (undecodable
ones) are visible to operators only.

A browse of the parking queue holds the messages it reads unacked until it is done (AMQP
has no peek), so two browses at once would each see part of the queue: one tenant polling
would hide another's messages. Every browse, replay and discard therefore runs under one
Postgres advisory lock, on every instance, and sees the whole queue.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from aio_pika.abc import AbstractChannel
from fastapi import APIRouter, Query

from qbsync.api.auth import OperatorDep, ScopeDep
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.db.locks import lock_until_commit
from qbsync.errors import NotFound
from qbsync.events.parking import ParkedMessage, discard, list_parked, replay
from qbsync.events.topology import declare_topology
from qbsync.resources import Resources
from qbsync.sync import repository
from qbsync.sync.models import SyncAction, SyncLog, SyncStatus, SyncTrigger
from qbsync.sync.registry import log_aforo_id

router = APIRouter(prefix="/api/quickbooks/dead-letters", tags=["operators"])

# How deep a browse looks into the parking queue (each browse holds these unacked briefly).
SCAN = 1000


BROWSE_LOCK = "qbsync:parking-queue-browse"


@asynccontextmanager
async def _channel(resources: Resources) -> AsyncIterator[AbstractChannel]:
    """A channel to the parking queue, held alone (see the module docstring)."""
    async with resources.sessionmaker.begin() as session:
        await lock_until_commit(session, BROWSE_LOCK)
        channel = await resources.amqp.channel(publisher_confirms=False)
        try:
            # Idempotent; makes a browse work before any consumer has declared the queues.
            await declare_topology(channel, resources.settings.amqp)
            yield channel
        finally:
            await channel.close()


def parked_view(message: ParkedMessage) -> dict[str, Any]:
    return {
        "messageId": message.message_id,
        "originalMessageId": message.original_message_id,
        "correlationId": message.correlation_id,
        "organizationId": message.organization_id,
        "entityType": message.entity_type,
        "entityId": message.entity_id,
        "reason": message.reason,
        "errorCode": message.error_code,
        "errorCategory": message.error_category,
        "errorMessage": message.error_message,
        "parkedAt": message.parked_at.isoformat() if message.parked_at else None,
        "attempts": message.attempts,
        "sourceQueue": message.source_queue,
        "routingKey": message.routing_key,
        "bodySize": message.body_size,
        "bodyExcerpt": message.body_excerpt,
    }


async def visible_parked(
    resources: Resources, scope: int | None, *, limit: int = SCAN
) -> list[ParkedMessage]:
    async with _channel(resources) as channel:
        parked = await list_parked(channel, resources.settings.amqp, limit=limit)
    return [m for m in parked if scope is None or m.organization_id == scope]


async def _find(resources: Resources, scope: int | None, message_id: str) -> ParkedMessage:
    for message in await visible_parked(resources, scope):
        if message.message_id == message_id:
            return message
    raise NotFound(f"parked message {message_id} not found")


async def _log(session: SessionDep, message: ParkedMessage, action: SyncAction, note: str) -> None:
    """Operators' actions on parked messages go into the same log as sync attempts."""
    await repository.add_log(
        session,
        SyncLog(
            organization_id=message.organization_id,
            entity_type=message.entity_type or "UNKNOWN",
            aforo_id=log_aforo_id(
                message.entity_type, message.entity_id, fallback=f"message:{message.message_id}"
            ),
            action=action,
            status=SyncStatus.SUCCESS,
            trigger=SyncTrigger.MANUAL,
            error_message=note,
            correlation_id=(message.correlation_id or message.message_id)[:100],
        ),
    )


@router.get("")
async def list_dead_letters(
    scope: ScopeDep, resources: ResourcesDep, limit: Annotated[int, Query(ge=1, le=SCAN)] = 100
) -> dict[str, Any]:
    parked = await visible_parked(resources, scope)
    return {"items": [parked_view(m) for m in parked[:limit]], "count": len(parked)}


@router.get("/{message_id}")
async def get_dead_letter(
    message_id: str, scope: ScopeDep, resources: ResourcesDep
) -> dict[str, Any]:
    return parked_view(await _find(resources, scope, message_id))


@router.post("/{message_id}/replay")
async def replay_dead_letter(
    message_id: str, scope: ScopeDep, resources: ResourcesDep, session: SessionDep
) -> dict[str, Any]:
    message = await _find(resources, scope, message_id)
    async with _channel(resources) as channel:
        replayed = await replay(channel, resources.publisher, resources.settings.amqp, message_id)
    if not replayed:
        raise NotFound(f"parked message {message_id} is no longer parked")
    await _log(
        session, message, SyncAction.REPLAY, f"parked message replayed to {message.source_queue}"
    )
    return {"replayed": 1, "messageId": message_id, "queue": message.source_queue}


@router.post("/replay")
async def replay_all_dead_letters(
    _operator: OperatorDep, scope: ScopeDep, resources: ResourcesDep, session: SessionDep
) -> dict[str, Any]:
    """Replay every parked message of the organization the operator names (or of all)."""
    replayed = 0
    candidates = [m for m in await visible_parked(resources, scope) if m.source_queue]
    async with _channel(resources) as channel:
        for message in candidates:
            if await replay(
                channel, resources.publisher, resources.settings.amqp, message.message_id
            ):
                replayed += 1
                await _log(
                    session,
                    message,
                    SyncAction.REPLAY,
                    f"parked message replayed to {message.source_queue}",
                )
    return {"replayed": replayed, "skipped": len(candidates) - replayed}


@router.delete("/{message_id}")
async def discard_dead_letter(
    message_id: str,
    _operator: OperatorDep,
    scope: ScopeDep,
    resources: ResourcesDep,
    session: SessionDep,
) -> dict[str, Any]:
    message = await _find(resources, scope, message_id)
    async with _channel(resources) as channel:
        discarded = await discard(channel, resources.settings.amqp, message_id)
    if not discarded:
        raise NotFound(f"parked message {message_id} is no longer parked")
    await _log(session, message, SyncAction.DISCARD, "parked message discarded by an operator")
    return {"discarded": 1, "messageId": message_id}
