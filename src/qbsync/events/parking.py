"""The parking queue for operators: browse without consuming, replay, discard.

AMQP has no "peek", so browsing takes messages with ``basic.get`` and *holds* them unacked
until the listing is complete, then nacks them with requeue. Holding them all at once means
no message is fetched twice, and a classic queue (the parking queue is one) puts requeued
messages back in their original positions, so browsing never reorders the queue. The cost:
while a listing runs (milliseconds) those messages are invisible to a concurrent browser.
The sync log keeps a browsable, queryable copy of every parked outcome as well (the runner
records one per parked message), which is what dashboards should read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from pydantic import BaseModel, ConfigDict

from qbsync.config import AmqpSettings
from qbsync.events import headers as h
from qbsync.events.errors import NotReplayable
from qbsync.events.publisher import Publisher

# How far replay/discard scan for a message id before giving up.
SCAN_LIMIT: Final = 10_000


class ParkedMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    message_id: str  # the parked copy's own id: what replay() and discard() take
    original_message_id: str | None
    correlation_id: str | None
    reason: str | None
    error_code: str | None
    error_category: str | None
    error_message: str | None
    parked_at: datetime | None
    attempts: int | None
    source_queue: str | None
    routing_key: str | None
    content_type: str | None
    body_size: int
    body_excerpt: str  # ≤ 2 KB, tokens redacted
    organization_id: int | None = None
    entity_type: str | None = None
    entity_id: str | None = None

    @classmethod
    def from_message(cls, message: AbstractIncomingMessage) -> ParkedMessage:
        parked_at = h.header_str(message.headers, h.PARKED_AT)
        try:
            parked = datetime.fromisoformat(parked_at) if parked_at else None
        except ValueError:
            parked = None
        return cls(
            message_id=message.message_id or "",
            original_message_id=h.header_str(message.headers, h.ORIGINAL_MESSAGE_ID) or None,
            correlation_id=message.correlation_id,
            # Parked by the broker (the work queue's delivery limit), not by the runner.
            reason=h.header_str(message.headers, h.PARK_REASON)
            or h.header_str(message.headers, h.FIRST_DEATH_REASON),
            error_code=h.header_str(message.headers, h.ERROR_CODE),
            error_category=h.header_str(message.headers, h.ERROR_CATEGORY),
            error_message=h.header_str(message.headers, h.ERROR_MESSAGE),
            parked_at=parked,
            attempts=h.header_int(message.headers, h.ATTEMPTS),
            source_queue=h.source_queue(message.headers),
            routing_key=h.header_str(message.headers, h.ROUTING_KEY),
            content_type=message.content_type,
            body_size=len(message.body),
            body_excerpt=h.body_excerpt(message.body),
            organization_id=h.header_int(message.headers, h.ORGANIZATION_ID),
            entity_type=h.header_str(message.headers, h.ENTITY_TYPE),
            entity_id=h.header_str(message.headers, h.ENTITY_ID),
        )


async def _parking(channel: AbstractChannel, settings: AmqpSettings) -> AbstractQueue:
    return await channel.get_queue(settings.parking_queue, ensure=False)


async def _release(held: list[AbstractIncomingMessage]) -> None:
    for message in held:
        if not message.processed:
            await message.nack(requeue=True)


async def list_parked(
    channel: AbstractChannel, settings: AmqpSettings, limit: int = 50
) -> list[ParkedMessage]:
    """The first ``limit`` parked messages, oldest first, left in the queue in order."""
    queue = await _parking(channel, settings)
    held: list[AbstractIncomingMessage] = []
    try:
        while len(held) < limit:
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            held.append(message)
        return [ParkedMessage.from_message(message) for message in held]
    finally:
        await _release(held)


async def _take(
    channel: AbstractChannel, settings: AmqpSettings, message_id: str
) -> tuple[AbstractIncomingMessage | None, list[AbstractIncomingMessage]]:
    """Find ``message_id``; returns it (unacked) and the messages held on the way."""
    queue = await _parking(channel, settings)
    held: list[AbstractIncomingMessage] = []
    while len(held) < SCAN_LIMIT:
        message = await queue.get(no_ack=False, fail=False)
        if message is None:
            break
        if message.message_id == message_id:
            return message, held
        held.append(message)
    return None, held


async def _republish(publisher: Publisher, message: AbstractIncomingMessage) -> None:
    source = h.source_queue(message.headers)
    if not source:
        raise NotReplayable(
            f"parked message {message.message_id} has no {h.SOURCE_QUEUE} header",
            hint="discard it, or publish its body again to the right routing key",
        )
    headers = h.copy_headers(message.headers, drop=h.PARK_HEADERS)
    headers[h.REPLAYED_AT] = datetime.now(UTC).isoformat()
    # Back to the work queue it came from, through the default exchange, with the attempt
    # counter gone (a fresh set of retries) and the original message id restored.
    await publisher.publish_raw(
        message.body,
        exchange="",
        routing_key=source,
        headers=headers,
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        message_id=h.header_str(message.headers, h.ORIGINAL_MESSAGE_ID) or None,
        correlation_id=message.correlation_id,
    )


async def replay(
    channel: AbstractChannel, publisher: Publisher, settings: AmqpSettings, message_id: str
) -> bool:
    """Move one parked message back to its source queue; False when it is not parked."""
    found, held = await _take(channel, settings, message_id)
    try:
        if found is None:
            return False
        try:
            await _republish(publisher, found)
        except BaseException:
            held.append(found)
            raise
        await found.ack()
        return True
    finally:
        await _release(held)


async def replay_all(channel: AbstractChannel, publisher: Publisher, settings: AmqpSettings) -> int:
    """Replay every message parked when the call starts; returns how many were replayed.

    Messages without a source queue stay parked. Counting first keeps a message that fails
    again and is parked anew during the replay from being replayed in a loop.
    """
    # Passive declare on the raw channel: the robust channel would cache the result.
    underlay = await channel.get_underlay_channel()
    declared = await underlay.queue_declare(settings.parking_queue, passive=True)
    count = declared.message_count or 0
    queue = await _parking(channel, settings)
    replayed = 0
    skipped: list[AbstractIncomingMessage] = []
    try:
        for _ in range(count):
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            try:
                await _republish(publisher, message)
            except NotReplayable:
                skipped.append(message)
                continue
            except BaseException:
                skipped.append(message)
                raise
            await message.ack()
            replayed += 1
    finally:
        await _release(skipped)
    return replayed


async def discard(channel: AbstractChannel, settings: AmqpSettings, message_id: str) -> bool:
    """Delete one parked message for good; False when it is not parked."""
    found, held = await _take(channel, settings, message_id)
    try:
        if found is None:
            return False
        await found.ack()
        return True
    finally:
        await _release(held)
