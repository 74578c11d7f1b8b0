"""RabbitMQ from the bench's side: publish like Spring (with confirms), count, drain, delete."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection
from pydantic import BaseModel

from qbsync.config import AmqpSettings
from qbsync.events import headers as h
from qbsync.events.topology import TopologyNames


def topology_queues(settings: AmqpSettings) -> list[str]:
    return TopologyNames.from_settings(settings).all_queues()


async def delete_topology(settings: AmqpSettings) -> None:
    """Every queue and both exchanges qbsync declares for ``settings`` (absent ones are a
    no-op for RabbitMQ)."""
    names = TopologyNames.from_settings(settings)
    connection = await aio_pika.connect(settings.url, timeout=15)
    async with connection:
        channel = await connection.channel()
        for queue in names.all_queues():
            await channel.queue_delete(queue)
        for exchange in (names.exchange, names.retry_exchange):
            await channel.exchange_delete(exchange)


async def _passive(channel: AbstractChannel, queue: str) -> tuple[int, int] | None:
    """(messages, consumers) of ``queue``, or None when it does not exist."""
    underlay = await channel.get_underlay_channel()
    try:
        declared = await underlay.queue_declare(queue, passive=True)
    except Exception:
        return None
    return declared.message_count or 0, declared.consumer_count or 0


async def queue_stats(settings: AmqpSettings) -> dict[str, tuple[int, int]]:
    """(messages ready, consumers) per existing queue of the topology."""
    found: dict[str, tuple[int, int]] = {}
    connection = await aio_pika.connect(settings.url, timeout=15)
    async with connection:
        for queue in topology_queues(settings):
            # A failed passive declare closes the channel: one channel per question.
            channel = await connection.channel()
            stats = await _passive(channel, queue)
            if stats is not None:
                found[queue] = stats
            with contextlib.suppress(Exception):
                await channel.close()
    return found


async def consumer_counts(settings: AmqpSettings) -> dict[str, int]:
    """Consumers per work queue; empty until qbsync has declared them."""
    work = set(TopologyNames.from_settings(settings).work_queues.values())
    stats = await queue_stats(settings)
    if not work <= stats.keys():
        return {}
    return {queue: stats[queue][1] for queue in work}


class Published(BaseModel):
    """One message the bench published: what it was and when (wall clock, epoch seconds)."""

    correlation_id: str
    routing_key: str
    entity_type: str | None  # CUSTOMER / INVOICE / PAYMENT for a valid event, else None
    aforo_id: str | None  # the sync log's id for it (CUST-5, invoice-9), when valid
    organization_id: int | None
    at: float
    kind: str = "good"  # good, or the hostile category it belongs to


@dataclass
class BenchPublisher:
    """One connection, one confirm channel; ``publish`` returns once the broker confirmed."""

    settings: AmqpSettings
    published: list[Published] = field(default_factory=list)
    _connection: AbstractRobustConnection | None = None
    _exchange: AbstractExchange | None = None

    async def __aenter__(self) -> BenchPublisher:
        self._connection = await aio_pika.connect_robust(self.settings.url, timeout=15)
        channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await channel.get_exchange(self.settings.exchange, ensure=True)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def publish(
        self,
        record: Published,
        body: bytes,
        *,
        content_type: str | None = "application/json",
        content_encoding: str | None = "UTF-8",
        type_id: str = "aforo.event.BenchEvent",
    ) -> None:
        """As Spring AMQP's Jackson converter sends it; ``record.at`` is set to the moment
        just before publishing (the latency clock starts there)."""
        assert self._exchange is not None
        message = aio_pika.Message(
            body,
            content_type=content_type,
            content_encoding=content_encoding,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers={"__TypeId__": type_id},
            correlation_id=record.correlation_id,
            message_id=record.correlation_id,
        )
        record.at = time.time()
        await self._exchange.publish(message, routing_key=record.routing_key, timeout=30)
        self.published.append(record)


class ParkedTally(BaseModel):
    """What the parking queue held at the end, read without leaving anything behind."""

    total: int
    by_reason: dict[str, int]
    by_code: dict[str, int]
    correlation_ids: list[str]
    missing_reason: int  # parked copies without an x-qbsync-park-reason header
    samples: list[dict[str, str | None]]  # the first few: reason, code and message

    def __add__(self, other: ParkedTally) -> ParkedTally:
        by_reason = dict(self.by_reason)
        for key, n in other.by_reason.items():
            by_reason[key] = by_reason.get(key, 0) + n
        by_code = dict(self.by_code)
        for key, n in other.by_code.items():
            by_code[key] = by_code.get(key, 0) + n
        return ParkedTally(
            total=self.total + other.total,
            by_reason=by_reason,
            by_code=by_code,
            correlation_ids=self.correlation_ids + other.correlation_ids,
            missing_reason=self.missing_reason + other.missing_reason,
            samples=(self.samples + other.samples)[:12],
        )


async def drain_parked(settings: AmqpSettings, limit: int = 10_000) -> ParkedTally:
    """Consume (ack) every parked message and tally its reason headers. The stack deletes
    the queue anyway; acking keeps the read bounded and single-pass."""
    reasons: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    ids: list[str] = []
    samples: list[dict[str, str | None]] = []
    missing = 0
    connection = await aio_pika.connect(settings.url, timeout=15)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(settings.parking_queue, ensure=False)
        for _ in range(limit):
            message = await queue.get(no_ack=True, fail=False)
            if message is None:
                break
            reason = h.header_str(message.headers, h.PARK_REASON)
            if reason is None:
                missing += 1
            reasons[reason or "none"] += 1
            codes[h.header_str(message.headers, h.ERROR_CODE) or "none"] += 1
            ids.append(message.correlation_id or "")
            if len(samples) < 12:
                samples.append(
                    {
                        "correlation_id": message.correlation_id,
                        "reason": reason,
                        "code": h.header_str(message.headers, h.ERROR_CODE),
                        "message": (h.header_str(message.headers, h.ERROR_MESSAGE) or "")[:300],
                    }
                )
    return ParkedTally(
        total=len(ids),
        by_reason=dict(reasons),
        by_code=dict(codes),
        correlation_ids=ids,
        missing_reason=missing,
        samples=samples,
    )
