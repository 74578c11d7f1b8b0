"""One transaction that several concurrent units of work share (a burst's group).

A burst's syncs each used to hold a transaction, so a connection, from their first read
until their batch was answered: a group of 30 held 30 connections, and each paid its own
BEGIN, COMMIT and pool checkout. Members of a ``SharedSession`` run concurrently as before
(each waits on the batch at its own pace) but their statements go, one at a time, through
the one connection of the group's transaction, which commits once all of them are done.

What changes for a member:

- Its statements are serialized with the other members' (``_io``); a statement is never
  held across an await of anything else, so no member waits on another's batch for it.
- Postgres advisory locks are per session, so the members would all "hold" each other's
  record locks. ``claim`` keeps the group's own record: the first member to lock a name
  holds it until its attempt on that record is over (``release``) or the member is done;
  another member that needs it waits until then (the writes are visible: same
  transaction), as it would wait for a commit.
- A lock held by another transaction is waited for briefly, by polling
  (``poll_until_commit``): a blocking ``pg_advisory_xact_lock`` would stop every member's
  statements meanwhile. Postgres' deadlock detection sees neither this wait nor a wait for
  another member, so both give up rather than wait on a circle: a member's wait that would
  close one fails at once, and a poll fails after a couple of seconds (``RecordBusy``,
  retryable: the record's sync is logged as such and tried again later).
- All or nothing: a member that fails for a reason outside its sync (an exception, a
  database error) fails the group, whose transaction rolls back (scheduler/execution.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction

from qbsync.db import direct
from qbsync.db.errors import RecordBusy


class SharedSession(AsyncSession):
    """An ``AsyncSession`` whose I/O several tasks may await at once (serialized; a task
    inside a savepoint holds the session until the savepoint ends)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._io = asyncio.Lock()
        self._io_owner: asyncio.Task[Any] | None = None
        self._io_depth = 0
        self._holders: dict[str, _Hold] = {}
        self._waiting: dict[asyncio.Task[Any], asyncio.Task[Any]] = {}  # member -> holder
        # What the group read in bulk for its members ahead of them, by the reader's own
        # keys (sync/repository.py: connection, record locks and states, sync-log ids).
        self.prepared: dict[tuple[Any, ...], Any] = {}
        self._deferred: dict[direct.Direct, list[dict[str, Any]]] = {}

    @asynccontextmanager
    async def serialized(self) -> AsyncIterator[None]:
        """The caller's turn on the connection (reentrant within a task)."""
        current = asyncio.current_task()
        if self._io_owner is not current or current is None:
            await self._io.acquire()
            self._io_owner = current
        self._io_depth += 1
        try:
            yield
        finally:
            self._io_depth -= 1
            if not self._io_depth:
                self._io_owner = None
                self._io.release()

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        async with self.serialized():
            return await super().execute(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        async with self.serialized():
            return await super().scalar(*args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        async with self.serialized():
            return await super().get(*args, **kwargs)

    async def flush(self, *args: Any, **kwargs: Any) -> None:
        async with self.serialized():
            await super().flush(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        async with self.serialized():
            await super().delete(*args, **kwargs)

    async def merge(self, *args: Any, **kwargs: Any) -> Any:
        async with self.serialized():
            return await super().merge(*args, **kwargs)

    async def refresh(self, *args: Any, **kwargs: Any) -> None:
        async with self.serialized():
            await super().refresh(*args, **kwargs)

    @asynccontextmanager
    async def begin_nested(  # type: ignore[override]
        self,
    ) -> AsyncIterator[AsyncSessionTransaction]:
        """A savepoint is a stack on the one connection: nobody else's statement (or
        savepoint) may come between its start and its end."""
        async with self.serialized(), super().begin_nested() as savepoint:
            yield savepoint

    def defer(self, statement: direct.Direct, params: dict[str, Any]) -> None:
        """Run ``statement`` with ``params`` at the end of the group (``flush_deferred``),
        with every other member's parameters for it in one executemany: for writes that
        nothing in the group reads back (sync-log rows, settled works)."""
        self._deferred.setdefault(statement, []).append(params)

    async def flush_deferred(self) -> None:
        deferred, self._deferred = self._deferred, {}
        for statement, rows in deferred.items():
            await direct.executemany(self, statement, rows)

    def holder(self, name: str) -> asyncio.Task[Any] | None:
        """The member (other than the caller) that holds the lock ``name``, if it runs."""
        hold = self._holders.get(name)
        if hold is None or hold.task.done() or hold.task is asyncio.current_task():
            return None
        return hold.task

    async def wait_for_holder(self, holder: asyncio.Task[Any], name: str) -> None:
        """Wait until ``holder`` (another member) lets go of the lock ``name`` (``release``)
        or is done; a wait that would close a circle of members waiting on each other fails
        at once (``RecordBusy``): Postgres sees none of these waits, so it cannot break it."""
        current = asyncio.current_task()
        assert current is not None
        seen: asyncio.Task[Any] | None = holder
        while seen is not None:
            if seen is current:
                raise RecordBusy(f"{name}: members of one group wait on each other")
            seen = self._waiting.get(seen)
        hold = self._holders[name]
        self._waiting[current] = holder
        released = asyncio.ensure_future(hold.released.wait())
        try:
            await asyncio.wait({holder, released}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            released.cancel()
            del self._waiting[current]

    def claim(self, name: str) -> bool:
        """Hold ``name`` for the calling member unless another member does (False)."""
        if self.holder(name) is not None:
            return False
        current = asyncio.current_task()
        if current is not None:
            self._holders[name] = _Hold(current)
        return True

    def release(self, name: str) -> None:
        """The caller is done with ``name`` (its record's attempt is over, its writes are in
        the transaction): other members may take it now. Postgres' lock stays with the
        transaction until it commits."""
        hold = self._holders.get(name)
        if hold is not None and hold.task is asyncio.current_task():
            del self._holders[name]
            hold.released.set()

    unclaim = release  # the caller did not get the lock after all (another transaction has it)


@dataclass
class _Hold:
    task: asyncio.Task[Any]
    released: asyncio.Event = field(default_factory=asyncio.Event)


def shared(session: AsyncSession) -> SharedSession | None:
    return session if isinstance(session, SharedSession) else None
