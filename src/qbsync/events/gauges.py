"""Queue depth and the age of the oldest parked message, sampled for /metrics."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from qbsync.config import AmqpSettings
from qbsync.events.connection import AmqpConnector
from qbsync.events.parking import list_parked
from qbsync.events.topology import TopologyNames, declare_topology
from qbsync.metrics import QUEUE_DEPTH, QUEUE_OLDEST_AGE

log = logging.getLogger(__name__)

SAMPLE_TIMEOUT_S = 2.0


async def queue_depths(connector: AmqpConnector, settings: AmqpSettings) -> dict[str, int]:
    """Messages ready in every queue (work, retry waits, parking), read from the broker now."""
    names = TopologyNames.from_settings(settings)
    depths: dict[str, int] = {}
    async with asyncio.timeout(SAMPLE_TIMEOUT_S):
        channel = await connector.channel(publisher_confirms=False)
        try:
            await declare_topology(channel, settings)  # idempotent; the queues may be new
            underlay = await channel.get_underlay_channel()
            for queue in names.all_queues():  # waiting retries count as backlog too
                declared = await underlay.queue_declare(queue, passive=True)
                depths[queue] = declared.message_count or 0
        finally:
            await channel.close()
    return depths


async def sample_queues(connector: AmqpConnector, settings: AmqpSettings) -> None:
    """Best effort: a scrape while the broker is away leaves the last values in place."""
    if not connector.is_connected:
        return
    names = TopologyNames.from_settings(settings)
    try:
        for queue, depth in (await queue_depths(connector, settings)).items():
            QUEUE_DEPTH.labels(queue).set(depth)
        async with asyncio.timeout(SAMPLE_TIMEOUT_S):
            channel = await connector.channel(publisher_confirms=False)
            try:
                oldest = await list_parked(channel, settings, limit=1)
            finally:
                await channel.close()
        parked_at = oldest[0].parked_at if oldest else None
        age = (datetime.now(UTC) - parked_at).total_seconds() if parked_at else 0.0
        QUEUE_OLDEST_AGE.labels(names.parking_queue).set(age)
    except Exception as exc:  # a metrics scrape must never fail because of the broker
        log.info("queue sampling skipped", extra={"error": type(exc).__name__})
