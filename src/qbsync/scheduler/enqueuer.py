"""Enqueue in batches: requests that arrive while a commit is under way share the next one.

A consumer acks a message only once its work is committed. Under a burst, sixteen
deliveries enqueue at once; one transaction for all of them (one INSERT of every row, one
statement for the realms' lease rows) costs Postgres one commit instead of sixteen, and
adds no wait when nothing else is being committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.db import direct
from qbsync.scheduler import repository
from qbsync.scheduler.errors import DatabaseUnavailable
from qbsync.scheduler.execution import is_outage

MAX_BATCH = 64

log = logging.getLogger(__name__)

_Waiting = tuple[repository.WorkRequest, "asyncio.Future[repository.Enqueued]"]


class Enqueuer:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        on_committed: Callable[[repository.WorkRequest, repository.Enqueued], None],
    ) -> None:
        self._engine = direct.engine_of(sessionmaker)
        self._on_committed = on_committed
        self._waiting: list[_Waiting] = []
        self._flusher: asyncio.Task[None] | None = None

    async def submit(self, request: repository.WorkRequest) -> repository.Enqueued:
        """Committed when this returns. ``DatabaseUnavailable`` when Postgres is away."""
        done: asyncio.Future[repository.Enqueued] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="enqueue")
        return await done

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            batch = [(request, done) for request, done in batch if not done.done()]
            if not batch:
                continue
            try:
                await self._commit(batch)
            except Exception as exc:
                if len(batch) > 1 and not is_outage(exc):
                    # One bad request must not fail the others: each on its own.
                    for one in batch:
                        await self._commit_alone(one)
                else:
                    _fail(batch, exc)

    async def _commit(self, batch: list[_Waiting]) -> None:
        async with direct.transaction(self._engine) as connection:
            queued = await repository.enqueue_many(connection, [request for request, _ in batch])
        for (request, done), enqueued in zip(batch, queued, strict=True):
            self._on_committed(request, enqueued)
            if not done.done():
                done.set_result(enqueued)

    async def _commit_alone(self, one: _Waiting) -> None:
        try:
            await self._commit([one])
        except Exception as exc:
            _fail([one], exc)


def _fail(batch: list[_Waiting], exc: Exception) -> None:
    error: Exception = exc
    if is_outage(exc):
        error = DatabaseUnavailable(f"database unavailable: {type(exc).__name__}")
        error.__cause__ = exc
    for _, done in batch:
        if not done.done():
            done.set_exception(error)
