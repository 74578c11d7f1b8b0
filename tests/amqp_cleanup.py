"""Deleting the uuid-named RabbitMQ topology tests create, so that runs leave nothing behind
(quorum queues are heavy: thousands of leftovers slow the broker to a crawl)."""

from __future__ import annotations

import aio_pika
from aio_pika.abc import AbstractConnection

from qbsync.config import AmqpSettings
from qbsync.events.topology import TopologyNames

CREATED: list[AmqpSettings] = []


async def delete_topology(connection: AbstractConnection, settings: AmqpSettings) -> None:
    channel = await connection.channel()
    names = TopologyNames.from_settings(settings)
    for queue in names.all_queues():
        await channel.queue_delete(queue)
    for exchange in (names.exchange, names.retry_exchange):
        await channel.exchange_delete(exchange)
    await channel.close()


async def delete_created(url: str) -> None:
    """Everything ``make_settings`` named during this run (deleting what was never
    declared is a no-op for RabbitMQ)."""
    connection = await aio_pika.connect(url, timeout=30)
    async with connection:
        while CREATED:
            await delete_topology(connection, CREATED.pop())
