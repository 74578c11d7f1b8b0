"""Parked messages for people: browse, find, replay to their queue, discard; every action
goes into the sync log next to the attempts.

A browse of the parking queue holds the messages it reads unacked until it is done (AMQP
has no peek), so two browses at once would each see part of the queue: one tenant polling
would hide another's messages. Every browse, replay and discard therefore runs under one
Postgres advisory lock, on every instance, and sees the whole queue.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aio_pika.abc import AbstractChannel
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.db.locks import lock_until_commit
from qbsync.errors import NotFound
from qbsync.events.parking import ParkedMessage, discard, list_parked, replay
from qbsync.events.topology import declare_topology
from qbsync.resources import Resources
from qbsync.sync import sync_log
from qbsync.sync.models import SyncAction, SyncStatus, SyncTrigger
from qbsync.sync.registry import log_aforo_id

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


async def visible_parked(
    resources: Resources, scope: int | None, *, limit: int = SCAN
) -> list[ParkedMessage]:
    """The parked messages of organization ``scope`` (None: all of them)."""
    async with _channel(resources) as channel:
        parked = await list_parked(channel, resources.settings.amqp, limit=limit)
    return [m for m in parked if scope is None or m.organization_id == scope]


async def find_parked(resources: Resources, scope: int | None, message_id: str) -> ParkedMessage:
    for message in await visible_parked(resources, scope):
        if message.message_id == message_id:
            return message
    raise NotFound(f"parked message {message_id} not found")


async def _log(
    session: AsyncSession, message: ParkedMessage, action: SyncAction, note: str
) -> None:
    """Operators' actions on parked messages go into the same log as sync attempts."""
    await sync_log.write(
        session,
        organization_id=message.organization_id,
        entity_type=message.entity_type or "UNKNOWN",
        aforo_id=log_aforo_id(
            message.entity_type, message.entity_id, fallback=f"message:{message.message_id}"
        ),
        action=action,
        status=SyncStatus.SUCCESS,
        trigger=SyncTrigger.MANUAL,
        error_message=note,
        correlation_id=message.correlation_id or message.message_id,
    )


async def replay_one(
    session: AsyncSession, resources: Resources, scope: int | None, message_id: str
) -> ParkedMessage:
    """Back to the queue it was parked from (a retry); NotFound if it is no longer parked."""
    message = await find_parked(resources, scope, message_id)
    async with _channel(resources) as channel:
        replayed = await replay(channel, resources.publisher, resources.settings.amqp, message_id)
    if not replayed:
        raise NotFound(f"parked message {message_id} is no longer parked")
    await _log(
        session, message, SyncAction.REPLAY, f"parked message replayed to {message.source_queue}"
    )
    return message


@dataclass(frozen=True)
class Replayed:
    replayed: int
    skipped: int


async def replay_all(session: AsyncSession, resources: Resources, scope: int | None) -> Replayed:
    """Replay every parked message of organization ``scope`` (None: of all) that names its
    queue."""
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
    return Replayed(replayed, len(candidates) - replayed)


async def discard_one(
    session: AsyncSession, resources: Resources, scope: int | None, message_id: str
) -> ParkedMessage:
    message = await find_parked(resources, scope, message_id)
    async with _channel(resources) as channel:
        discarded = await discard(channel, resources.settings.amqp, message_id)
    if not discarded:
        raise NotFound(f"parked message {message_id} is no longer parked")
    await _log(session, message, SyncAction.DISCARD, "parked message discarded by an operator")
    return message
