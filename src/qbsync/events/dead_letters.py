"""Parked work and parked messages for people: browse, find, replay, discard; every action
goes into the sync log next to the attempts.

Work the scheduler parked (a sync that failed for good, or ran out of attempts) is listed
from Postgres, a query on the organization's own rows, with ids ``work-<id>``; replaying it
makes it pending again with fresh attempts. Messages the ingress parked (undecodable ones)
are in the parking queue, as before.

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
from qbsync.errors import InvalidInput, NotFound
from qbsync.events.parking import ParkedMessage, discard, list_parked, replay
from qbsync.events.topology import declare_topology
from qbsync.ids import parse_id
from qbsync.resources import Resources
from qbsync.scheduler import repository as work_queue
from qbsync.scheduler.models import PendingWork
from qbsync.sync import sync_log
from qbsync.sync.models import SyncAction, SyncStatus, SyncTrigger
from qbsync.sync.registry import find, log_aforo_id

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


WORK_PREFIX = "work-"


def _work_id(message_id: str) -> int | None:
    if not message_id.startswith(WORK_PREFIX):
        return None
    return parse_id(message_id.removeprefix(WORK_PREFIX))


def _entity_id(work: PendingWork) -> str:
    kind = find(work.kind)
    try:
        return str(kind.parse(work.aforo_id)) if kind is not None else work.aforo_id
    except InvalidInput:
        return work.aforo_id


def parked_work_view(work: PendingWork) -> ParkedMessage:
    """Parked work as the dead-letter routes show a parked message."""
    return ParkedMessage(
        message_id=f"{WORK_PREFIX}{work.id}",
        original_message_id=None,
        correlation_id=work.correlation_id,
        reason=work.park_reason,
        error_code=work.error_code,
        error_category=work.error_category,
        error_message=work.error_message,
        parked_at=work.updated_at,
        attempts=work.attempts,
        source_queue=None,
        routing_key=None,
        content_type=None,
        body_size=0,
        body_excerpt="",
        organization_id=work.organization_id,
        entity_type=work.kind,
        entity_id=_entity_id(work),
    )


async def parked_work(
    resources: Resources, scope: int | None, *, limit: int = SCAN
) -> list[ParkedMessage]:
    async with resources.sessionmaker() as session:
        rows = await work_queue.list_parked(session, organization_id=scope, limit=limit)
    return [parked_work_view(work) for work in rows]


async def visible_parked(
    resources: Resources, scope: int | None, *, limit: int = SCAN
) -> list[ParkedMessage]:
    """The parked work and parked messages of organization ``scope`` (None: of all)."""
    work = await parked_work(resources, scope, limit=limit)
    async with _channel(resources) as channel:
        parked = await list_parked(channel, resources.settings.amqp, limit=limit)
    return work + [m for m in parked if scope is None or m.organization_id == scope]


async def find_parked(resources: Resources, scope: int | None, message_id: str) -> ParkedMessage:
    work_id = _work_id(message_id)
    if work_id is not None:
        async with resources.sessionmaker() as session:
            work = await work_queue.get_parked(session, work_id, organization_id=scope)
        if work is not None:
            return parked_work_view(work)
        raise NotFound(f"parked message {message_id} not found")
    for message in await visible_parked(resources, scope):
        if message.message_id == message_id:
            return message
    raise NotFound(f"parked message {message_id} not found")


async def _replay_work(
    session: AsyncSession, resources: Resources, scope: int | None, work_id: int
) -> ParkedMessage:
    """Pending again now with fresh attempts (the scheduler is told at commit)."""
    work = await work_queue.get_parked(session, work_id, organization_id=scope)
    if work is None:
        raise NotFound(f"parked message {WORK_PREFIX}{work_id} not found")
    message = parked_work_view(work)
    await work_queue.replay(session, work, max_attempts=resources.scheduling.max_attempts)
    await _log(session, message, SyncAction.REPLAY, "parked work replayed")
    return message


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
    """Back to the queue it was parked from (a retry), or parked work pending again;
    NotFound if it is no longer parked."""
    work_id = _work_id(message_id)
    if work_id is not None:
        return await _replay_work(session, resources, scope, work_id)
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
    """Replay all parked work and every parked message that names its queue, of
    organization ``scope`` (None: of all)."""
    works = await work_queue.list_parked(session, organization_id=scope, limit=SCAN)
    for work in works:
        await _replay_work(session, resources, scope, work.id)
    replayed = len(works)
    async with _channel(resources) as channel:
        parked = await list_parked(channel, resources.settings.amqp, limit=SCAN)
    candidates = [
        m for m in parked if m.source_queue and (scope is None or m.organization_id == scope)
    ]
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
    return Replayed(replayed, len(works) + len(candidates) - replayed)


async def discard_one(
    session: AsyncSession, resources: Resources, scope: int | None, message_id: str
) -> ParkedMessage:
    work_id = _work_id(message_id)
    if work_id is not None:
        work = await work_queue.get_parked(session, work_id, organization_id=scope)
        if work is None:
            raise NotFound(f"parked message {message_id} not found")
        message = parked_work_view(work)
        await work_queue.discard(session, work)
        await _log(session, message, SyncAction.DISCARD, "parked work discarded by an operator")
        return message
    message = await find_parked(resources, scope, message_id)
    async with _channel(resources) as channel:
        discarded = await discard(channel, resources.settings.amqp, message_id)
    if not discarded:
        raise NotFound(f"parked message {message_id} is no longer parked")
    await _log(session, message, SyncAction.DISCARD, "parked message discarded by an operator")
    return message
