"""Which enqueues and hand-backs tell the instances (Postgres notifications), against the
real database: a realm's holder takes new work itself, anyone else is told, and a
hand-back racing an enqueue never leaves the work untold."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from qbsync.scheduler import repository
from qbsync.scheduler.wakeups import CHANNEL, listen_dsn

from .conftest import work

SENTINEL = "sentinel"


@dataclass
class Told:
    connection: asyncpg.Connection
    lanes: list[str] = field(default_factory=list)

    async def all_so_far(self) -> list[str]:
        """The lanes told until now: notifications arrive in commit order, so once a
        sentinel sent after every commit arrives, nothing earlier is still on its way."""
        await self.connection.execute(f"SELECT pg_notify('{CHANNEL}', '{SENTINEL}')")
        for _ in range(500):
            if SENTINEL in self.lanes:
                return [lane for lane in self.lanes if lane != SENTINEL]
            await asyncio.sleep(0.01)
        raise AssertionError("the sentinel notification never arrived")


@pytest.fixture
async def told(engine: AsyncEngine) -> AsyncIterator[Told]:
    connection = await asyncpg.connect(listen_dsn(engine.url))
    heard = Told(connection)
    await connection.add_listener(CHANNEL, lambda *args: heard.lanes.append(args[-1]))
    yield heard
    await connection.close()


async def _held_and_idle(sessionmaker: async_sessionmaker[AsyncSession], org_id: int) -> str:
    """A realm leased by "a", whose only work "a" has taken: nothing of it is due."""
    queued = await _enqueue(sessionmaker, 1, org_id)
    async with sessionmaker.begin() as session:
        assert await repository.claim_lanes(session, holder="a", limit=1, lease_s=30)
        assert await repository.take_due(session, lane=queued.lane, holder="a", limit=5)
    return queued.lane


async def _enqueue(
    sessionmaker: async_sessionmaker[AsyncSession], number: int, org_id: int
) -> repository.Enqueued:
    async with sessionmaker.begin() as session:
        return await repository.enqueue(session, work(org_id, number))


async def _hand_back(sessionmaker: async_sessionmaker[AsyncSession], lane: str) -> None:
    async with sessionmaker.begin() as session:
        await _release(session, lane)


async def _release(session: AsyncSession, lane: str) -> None:
    await repository.release_lease(
        session, holder="a", lane=lane, recent_starts=[], paused_until=None
    )


async def _waits_or_ends(
    sessionmaker: async_sessionmaker[AsyncSession], task: asyncio.Task[Any]
) -> None:
    """Until ``task`` ends or waits for a row lock held by the caller's transaction."""
    for _ in range(500):
        if task.done():
            return
        async with sessionmaker() as session:
            waiting = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("neither ended nor waited")


async def test_work_for_a_free_realm_is_told(
    sessionmaker: async_sessionmaker[AsyncSession], org_id: int, told: Told
) -> None:
    queued = await _enqueue(sessionmaker, 1, org_id)
    assert await told.all_so_far() == [queued.lane]


async def test_work_for_a_held_realm_is_left_to_its_holder(
    sessionmaker: async_sessionmaker[AsyncSession], org_id: int, told: Told
) -> None:
    await _held_and_idle(sessionmaker, org_id)
    told.lanes.clear()
    await _enqueue(sessionmaker, 2, org_id)
    assert await told.all_so_far() == []


@pytest.mark.parametrize("first", ["enqueue", "hand-back"])
async def test_a_hand_back_racing_an_enqueue_tells_of_the_new_work(
    sessionmaker: async_sessionmaker[AsyncSession], org_id: int, told: Told, first: str
) -> None:
    """The holder found nothing due and hands the realm back while new work comes in: each
    transaction starts before the other commits, whichever is first."""
    lane = await _held_and_idle(sessionmaker, org_id)
    told.lanes.clear()
    async with sessionmaker.begin() as session:
        if first == "enqueue":
            await repository.enqueue(session, work(org_id, 2))
            second = asyncio.create_task(_hand_back(sessionmaker, lane))
        else:
            await _release(session, lane)
            second = asyncio.create_task(_enqueue(sessionmaker, 2, org_id))
        await _waits_or_ends(sessionmaker, second)
    await second
    assert await told.all_so_far() == [lane]
