"""Postgres notifications of new work, so that an idle scheduler sleeps instead of polling.

Enqueueing work into a realm nobody serves (or a person's work into any realm) notifies
``CHANNEL`` with the realm's lane in the same transaction, so the notification arrives when
the work is committed, at every instance. Each instance listens on one connection of its
own, outside the pool. While that connection is down the scheduler polls at its shortest
interval, so a lost notification costs a poll's delay, never work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import URL

CHANNEL = "qbsync_pending_work"
# How often the idle listening connection proves it is alive (a dead TCP peer says nothing).
KEEPALIVE_S = 30.0
CONNECT_TIMEOUT_S = 5.0
MAX_RECONNECT_S = 15.0

log = logging.getLogger(__name__)


def listen_dsn(url: URL) -> str:
    """The engine's URL as a plain asyncpg DSN (without SQLAlchemy's driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class WorkListener:
    """Calls ``on_work(lane)`` for each notification and ``on_connected()`` each time the
    listening connection is (re)established: notifications sent while it was down are lost,
    so the scheduler looks once at everything."""

    def __init__(
        self,
        dsn: str,
        *,
        on_work: Callable[[str], None],
        on_connected: Callable[[], None],
    ) -> None:
        self._dsn = dsn
        self._on_work = on_work
        self._on_connected = on_connected
        self._task: asyncio.Task[None] | None = None
        self.connected = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="scheduler-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.connected = False

    async def _run(self) -> None:
        delay = 0.5
        while True:
            try:
                connection = await asyncpg.connect(self._dsn, timeout=CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
                log.info("work notifications unavailable", extra={"error": type(exc).__name__})
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RECONNECT_S)
                continue
            delay = 0.5
            try:
                await self._listen(connection)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.info("work notifications lost", extra={"error": type(exc).__name__})
            finally:
                self.connected = False
                with contextlib.suppress(Exception):
                    connection.terminate()

    async def _listen(self, connection: Any) -> None:
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        await connection.add_listener(CHANNEL, self._notified)
        self.connected = True
        self._on_connected()
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), timeout=KEEPALIVE_S)
                return
            await connection.execute("SELECT 1", timeout=CONNECT_TIMEOUT_S)

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self._on_work(payload)
