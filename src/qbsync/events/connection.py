"""The process's one robust AMQP connection: connects in the background and never gives up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from aio_pika import RobustConnection
from aio_pika.abc import AbstractRobustChannel, AbstractRobustConnection
from aio_pika.connection import make_url
from aio_pika.exceptions import AMQPError, ChannelInvalidStateError

from qbsync.config import AmqpSettings
from qbsync.events.errors import BrokerUnavailable

log = logging.getLogger(__name__)

OnConnected = Callable[[AbstractRobustConnection], Awaitable[None]]

# Bounds one TCP + AMQP handshake attempt, so a black-holed broker address cannot stall
# the retry loop; refused connections fail at once anyway.
CONNECT_TIMEOUT_S: Final = 10.0


class AmqpConnector:
    """Owns the robust connection; everything else asks it for channels.

    ``start()`` returns at once. aio-pika's robust connection retries every
    ``reconnect_interval_s`` while the broker is down (``fail_fast`` off), both at start and
    after a drop, and restores the channels, topology and consumers declared through it.
    ``add_on_connected`` callbacks run after the first connect and after every reconnect.
    """

    def __init__(self, settings: AmqpSettings, *, name: str = "qbsync") -> None:
        self._settings = settings
        self._name = name
        self._connection: RobustConnection | None = None
        self._connect_task: asyncio.Task[None] | None = None
        self._on_connected: list[OnConnected] = []
        self._connected_once = asyncio.Event()
        self._late_notifications: set[asyncio.Task[None]] = set()

    @property
    def is_connected(self) -> bool:
        connection = self._connection
        return (
            connection is not None
            and self._connected_once.is_set()
            and not connection.is_closed
            and connection.connected.is_set()
        )

    def add_on_connected(self, callback: OnConnected) -> None:
        """Call ``callback`` after every (re)connect, once all channels are restored. If the
        connection is already up it is called now too, so callbacks should be idempotent."""
        self._on_connected.append(callback)
        if self.is_connected and self._connection is not None:
            task = asyncio.create_task(self._notify_one(callback, self._connection))
            self._late_notifications.add(task)
            task.add_done_callback(self._late_notifications.discard)

    def remove_on_connected(self, callback: OnConnected) -> None:
        if callback in self._on_connected:
            self._on_connected.remove(callback)

    async def start(self) -> None:
        if self._connect_task is not None:
            return
        connection = RobustConnection(
            make_url(self._settings.url),
            client_properties={"connection_name": self._name},
            reconnect_interval=self._settings.reconnect_interval_s,
            fail_fast=False,
        )
        connection.reconnect_callbacks.add(self._on_reconnect)
        connection.close_callbacks.add(self._on_close)
        self._connection = connection
        self._connect_task = asyncio.create_task(self._first_connect(connection))

    async def _first_connect(self, connection: RobustConnection) -> None:
        # connect() waits until the first attempt that succeeds; aio-pika logs each failure.
        await connection.connect(timeout=CONNECT_TIMEOUT_S)
        self._connected_once.set()
        log.info("amqp connected", extra={"amqp_connection": self._name})
        await self._notify(connection)

    async def _on_reconnect(self, connection: AbstractRobustConnection | None) -> None:
        log.info("amqp reconnected", extra={"amqp_connection": self._name})
        if connection is not None:
            await self._notify(connection)

    def _on_close(self, _connection: object, exc: BaseException | None) -> None:
        connection = self._connection
        if self._connected_once.is_set() and connection is not None and not connection.close_called:
            log.warning(
                "amqp connection lost; reconnecting",
                extra={"amqp_connection": self._name, "error": repr(exc)},
            )

    async def _notify(self, connection: AbstractRobustConnection) -> None:
        for callback in list(self._on_connected):
            await self._notify_one(callback, connection)

    async def _notify_one(
        self, callback: OnConnected, connection: AbstractRobustConnection
    ) -> None:
        try:
            await callback(connection)
        except Exception:
            # A failing listener must not stop the connection from being usable.
            log.exception("amqp on-connected callback failed")

    async def wait_connected(self, timeout_s: float) -> bool:
        """Wait until connected (at most ``timeout_s``); False when it did not happen."""
        if self.is_connected:
            return True
        connection = self._connection
        if connection is None:
            return False
        try:
            async with asyncio.timeout(timeout_s):
                await self._connected_once.wait()
                await connection.connected.wait()
        except TimeoutError:
            return False
        return self.is_connected

    async def channel(self, publisher_confirms: bool = True) -> AbstractRobustChannel:
        """A new robust channel; raises ``BrokerUnavailable`` while not connected.

        With confirms on, unroutable mandatory publishes raise (``on_return_raises``), so a
        missing queue is an error rather than a silently dropped message.
        """
        connection = self._connection
        if connection is None or not self.is_connected:
            raise BrokerUnavailable("RabbitMQ is not connected", hint="qbsync keeps reconnecting")
        channel = connection.channel(
            publisher_confirms=publisher_confirms, on_return_raises=publisher_confirms
        )
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                await channel
        except (AMQPError, ChannelInvalidStateError, ConnectionError, TimeoutError) as exc:
            raise BrokerUnavailable(f"could not open a RabbitMQ channel: {exc!r}") from exc
        return channel

    async def close(self) -> None:
        tasks = [*self._late_notifications, self._connect_task]
        self._connect_task = None
        for task in tasks:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()
        self._connected_once.clear()
