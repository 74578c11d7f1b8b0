"""Publishing with publisher confirms: events (webhook, manual async, backfill) and raw copies."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from typing import Final

from aio_pika import DeliveryMode, Message
from aio_pika.abc import AbstractRobustChannel, HeadersType
from aio_pika.exceptions import AMQPError, ChannelInvalidStateError, DeliveryError, PublishError

from qbsync.config import AmqpSettings
from qbsync.events import headers as h
from qbsync.events.connection import AmqpConnector
from qbsync.events.errors import BrokerUnavailable
from qbsync.events.schemas import Event, encode_event
from qbsync.events.topology import declare_topology

log = logging.getLogger(__name__)

JSON: Final = "application/json"
# A webhook caller waits this long at most before getting a 503.
PUBLISH_TIMEOUT_S: Final = 5.0
_BROKER_ERRORS = (AMQPError, ChannelInvalidStateError, ConnectionError, OSError, TimeoutError)


class Publisher:
    """Publishes on one confirm channel of the connector; every publish is mandatory and
    confirmed, so returning normally means the broker has the message in a queue.

    The channel declares the topology when it opens (so an API-only process works against
    a fresh broker) and aio-pika restores it after reconnects.
    """

    def __init__(self, connector: AmqpConnector, settings: AmqpSettings) -> None:
        self._connector = connector
        self._settings = settings
        self._channel: AbstractRobustChannel | None = None
        self._lock = asyncio.Lock()

    async def publish(
        self, event: Event, *, correlation_id: str | None = None, trigger: str | None = None
    ) -> str:
        """Publish ``event`` to the exchange under its routing key; returns its message id.

        ``trigger`` (WEBHOOK, MANUAL, BACKFILL…) travels in ``x-qbsync-trigger`` so the
        handler can log who asked. Raises ``BrokerUnavailable`` when not confirmed.
        """
        message_id = event.event_id or uuid.uuid4().hex
        await self.publish_raw(
            encode_event(event),
            exchange=self._settings.exchange,
            routing_key=event.routing_key,
            headers={h.TRIGGER: trigger} if trigger else None,
            content_type=JSON,
            content_encoding="UTF-8",
            message_id=message_id,
            correlation_id=correlation_id or message_id,
        )
        return message_id

    async def publish_raw(
        self,
        body: bytes,
        *,
        exchange: str,
        routing_key: str,
        headers: HeadersType | None = None,
        content_type: str | None = JSON,
        content_encoding: str | None = None,
        message_id: str | None = None,
        correlation_id: str | None = None,
        timestamp: datetime | None = None,
    ) -> None:
        """Publish bytes as they are (retry copies, parked copies, replays); ``exchange``
        "" is the default exchange, where ``routing_key`` is a queue name."""
        message = Message(
            body,
            headers=headers or {},
            content_type=content_type,
            content_encoding=content_encoding,
            delivery_mode=DeliveryMode.PERSISTENT,
            message_id=message_id,
            correlation_id=correlation_id,
            timestamp=timestamp or datetime.now(UTC),
            app_id="qbsync",
        )
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT_S):
                channel = await self._get_channel()
                # Right after a reconnect the robust channel may still be reopening.
                await channel.ready()
                target = (
                    channel.default_exchange
                    if exchange == ""
                    else await channel.get_exchange(exchange, ensure=False)
                )
                await target.publish(message, routing_key, mandatory=True)
        except PublishError as exc:
            raise BrokerUnavailable(
                f"RabbitMQ could not route the message ({exchange!r}, {routing_key!r})",
                hint="the queue it is bound for is missing",
            ) from exc
        except DeliveryError as exc:
            raise BrokerUnavailable("RabbitMQ refused the message (publisher nack)") from exc
        except _BROKER_ERRORS as exc:
            raise BrokerUnavailable(f"RabbitMQ did not confirm the message: {exc!r}") from exc

    async def _get_channel(self) -> AbstractRobustChannel:
        if not self._connector.is_connected:
            raise BrokerUnavailable("RabbitMQ is not connected", hint="qbsync keeps reconnecting")
        async with self._lock:
            if self._channel is None:
                channel = await self._connector.channel(publisher_confirms=True)
                try:
                    await declare_topology(channel, self._settings)
                except BaseException:
                    await channel.close()
                    raise
                self._channel = channel
            return self._channel

    async def close(self) -> None:
        channel, self._channel = self._channel, None
        if channel is not None and not channel.is_closed:
            try:
                await channel.close()
            except _BROKER_ERRORS:
                log.info("publisher channel already gone at close")
