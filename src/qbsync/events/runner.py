"""The consumer runner: the only code that touches ``IncomingMessage``.

Per message: decode → handler (the sync engine, injected) → settle. The handler commits
its own unit of work and returns; the runner acks only after that. A handler error is
settled by ``Settler`` (retry later or park); nothing a message contains can stop the
runner. Each message runs in a task owned by the runner, not by aio-pika's channel, so a
dropped connection does not cancel a half-done sync: it finishes, its ack fails, and the
broker redelivers the message to the restored consumer.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial

from aio_pika.abc import (
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
)
from aio_pika.exceptions import AMQPError, ChannelInvalidStateError

from qbsync.config import AmqpSettings
from qbsync.errors import ErrorCategory, QbsyncError
from qbsync.events import headers as h
from qbsync.events.connection import AmqpConnector
from qbsync.events.errors import InvalidMessage
from qbsync.events.outcomes import OutcomeRecorder, ParkReason
from qbsync.events.publisher import Publisher
from qbsync.events.schemas import Event, decode_message
from qbsync.events.settlement import Failure, MessageContext, Settler
from qbsync.events.topology import TopologyNames, declare_topology

__all__ = ["ConsumerRunner", "Handler", "MessageContext", "message_context"]

log = logging.getLogger(__name__)

Handler = Callable[[Event, MessageContext], Awaitable[None]]
_CHANNEL_ERRORS = (AMQPError, ChannelInvalidStateError, ConnectionError, OSError)


class ConsumerRunner:
    """Consumes the three work queues with ``prefetch`` per queue and at most
    ``concurrency`` handlers running at once across them.

    ``start()`` attaches now if the broker is connected, otherwise as soon as it is; after
    that, aio-pika's robust channel restores the topology and the consumers on reconnect.
    """

    def __init__(
        self,
        connector: AmqpConnector,
        settings: AmqpSettings,
        handler: Handler,
        recorder: OutcomeRecorder,
        *,
        publisher: Publisher | None = None,
    ) -> None:
        self._connector = connector
        self._settings = settings
        self._handler = handler
        self._names = TopologyNames.from_settings(settings)
        self._owns_publisher = publisher is None
        self._publisher = publisher or Publisher(connector, settings)
        self._settler = Settler(
            settings=settings, names=self._names, publisher=self._publisher, recorder=recorder
        )
        self._slots = asyncio.Semaphore(max(1, settings.concurrency))
        self._tasks: set[asyncio.Task[None]] = set()
        self._channel: AbstractRobustChannel | None = None
        self._consumers: list[tuple[AbstractQueue, str]] = []
        self._attach_lock = asyncio.Lock()
        self._stopping = False

    @property
    def is_consuming(self) -> bool:
        return bool(self._consumers) and self._connector.is_connected and not self._stopping

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def start(self) -> None:
        self._stopping = False
        self._settler.stopping = False
        self._connector.add_on_connected(self._on_connected)
        if self._connector.is_connected:
            await self._attach()

    async def _on_connected(self, _connection: AbstractRobustConnection) -> None:
        await self._attach()

    async def _attach(self) -> None:
        async with self._attach_lock:
            if self._channel is not None or self._stopping:
                return  # already attached: the robust channel restores itself
            channel = await self._connector.channel(publisher_confirms=False)
            try:
                await channel.set_qos(prefetch_count=self._settings.prefetch)
                topology = await declare_topology(channel, self._settings)
                for routing_key, queue in topology.work_queues.items():
                    callback = partial(self._on_message, routing_key, queue.name)
                    tag = await queue.consume(callback)
                    self._consumers.append((queue, tag))
            except BaseException:
                self._consumers.clear()
                await self._close_channel(channel)
                raise
            self._channel = channel
            log.info("consumers attached", extra={"queues": list(self._names.work_queues.values())})

    async def _on_message(
        self, routing_key: str, queue: str, message: AbstractIncomingMessage
    ) -> None:
        # Returns at once: the work runs in a task the runner owns (see the module docstring).
        task = asyncio.create_task(self._run_one(routing_key, queue, message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_one(
        self, routing_key: str, queue: str, message: AbstractIncomingMessage
    ) -> None:
        try:
            async with self._slots:
                if self._stopping:
                    await self._settler.hand_back(message, pause=False)
                    return
                await self._process(routing_key, queue, message)
        except asyncio.CancelledError:
            # stop() ran out of grace: give the message back so another consumer takes it.
            if not message.processed:
                await self._settler.hand_back(message, pause=False)
            raise
        except Exception:
            # Only a bug in the settlement path gets here. Hand the message back (after a
            # pause, so a bug cannot spin) rather than leave it unacked until the channel
            # closes; the runner goes on either way.
            log.exception("message settlement failed")
            if not message.processed:
                await self._settler.hand_back(message)

    async def _process(
        self, routing_key: str, queue: str, message: AbstractIncomingMessage
    ) -> None:
        try:
            event = decode_message(
                routing_key,
                message.body,
                message.content_type,
                message.headers,
                content_encoding=message.content_encoding,
                max_body_bytes=self._settings.max_body_bytes,
            )
        except InvalidMessage as exc:
            ctx = message_context(message, routing_key=routing_key, queue=queue, event=None)
            invalid = Failure(ParkReason.INVALID_MESSAGE, exc.category, exc.reason_code, exc.detail)
            await self._settler.park(message, ctx, invalid)
            return
        ctx = message_context(message, routing_key=routing_key, queue=queue, event=event)
        try:
            await self._handler(event, ctx)
        except QbsyncError as exc:
            failure = Failure(
                ParkReason.PERMANENT_ERROR, exc.category, exc.code, str(exc), exc.retry_budget
            )
            if exc.retryable:
                await self._settler.retry_or_park(message, ctx, failure)
            else:
                await self._settler.park(message, ctx, failure)
            return
        except Exception as exc:
            log.error(
                "event handler raised an unexpected error; message parked",
                exc_info=True,
                extra={"correlation_id": ctx.correlation_id, "routing_key": routing_key},
            )
            bug = Failure(
                ParkReason.UNEXPECTED_ERROR, ErrorCategory.PERMANENT, type(exc).__name__, repr(exc)
            )
            await self._settler.park(message, ctx, bug)
            return
        await self._settler.done(message, ctx)

    async def stop(self, grace_s: float | None = None) -> None:
        """Stop consuming, let in-flight handlers finish for up to ``grace_s`` (default
        ``shutdown_grace_s``), hand back what is left, close the channel."""
        grace = self._settings.shutdown_grace_s if grace_s is None else grace_s
        self._stopping = True
        self._settler.stopping = True
        self._connector.remove_on_connected(self._on_connected)
        for queue, tag in self._consumers:
            try:
                await queue.cancel(tag)
            except _CHANNEL_ERRORS:
                log.info("consumer cancel failed; closing the channel stops it anyway")
        self._consumers.clear()
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            if pending:
                log.warning(
                    "in-flight messages handed back at shutdown", extra={"count": len(pending)}
                )
        channel, self._channel = self._channel, None
        if channel is not None:
            await self._close_channel(channel)
        if self._owns_publisher:
            await self._publisher.close()

    @staticmethod
    async def _close_channel(channel: AbstractRobustChannel) -> None:
        try:
            await channel.close()
        except _CHANNEL_ERRORS:
            log.info("channel already gone at close")


def message_context(
    message: AbstractIncomingMessage, *, routing_key: str, queue: str, event: Event | None
) -> MessageContext:
    """The handler's view of a delivery.

    The correlation id is the AMQP correlation id when a publisher set one (qbsync's own
    publisher sets it to the request that caused the event), else the message id, else the
    body's ``eventId``, else a new one: Spring AMQP sets none of them unless asked to.
    """
    correlation_id = (
        message.correlation_id
        or message.message_id
        or (event.event_id if event is not None else None)
        or uuid.uuid4().hex
    )
    attempt = h.header_int(message.headers, h.ATTEMPT) or 1
    return MessageContext(
        correlation_id=correlation_id,
        message_id=message.message_id,
        attempt=max(1, attempt),
        routing_key=routing_key,
        queue=queue,
        redelivered=bool(message.redelivered),
        received_at=datetime.now(UTC),
        trigger=h.header_str(message.headers, h.TRIGGER),
    )
