"""The scheduler loop: realms served one instance at a time, fairly, within their limits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.aforo.errors import AforoNotReady
from qbsync.config import QuickBooksSettings, SchedulerSettings
from qbsync.db.errors import RecordBusy
from qbsync.errors import DependencyUnavailable, InvalidInput
from qbsync.quickbooks.limiter import RealmLimiters
from qbsync.scheduler import repository
from qbsync.scheduler.models import PendingWork, Priority, RealmLease
from qbsync.scheduler.runner import Scheduler
from qbsync.sync.errors import DependencyFailed

from .conftest import RecordingExecutor, work


def scheduler_settings(**overrides: Any) -> SchedulerSettings:
    values: dict[str, Any] = {
        "concurrency": 8,
        "max_realms": 8,
        "realm_concurrency": 3,
        "lease_s": 3.0,
        "turn_s": 1.0,
        "poll_interval_s": 0.05,
        "retry_delays_s": [0.1, 0.1],
    }
    return SchedulerSettings(**{**values, **overrides})


@pytest.fixture
async def schedulers(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Callable[..., Scheduler]]:
    started: list[Scheduler] = []

    def start(executor: RecordingExecutor, **settings: Any) -> Scheduler:
        scheduler = Scheduler(
            sessionmaker=sessionmaker,
            execute=executor,
            limiters=RealmLimiters(QuickBooksSettings()),
            settings=scheduler_settings(**settings),
        )
        started.append(scheduler)
        return scheduler

    yield start
    for scheduler in started:
        await scheduler.stop(grace_s=1)


async def enqueue(
    sessionmaker: async_sessionmaker[AsyncSession], *requests: repository.WorkRequest
) -> None:
    async with sessionmaker.begin() as session:
        for request in requests:
            await repository.enqueue(session, request)


async def remaining(sessionmaker: async_sessionmaker[AsyncSession]) -> list[PendingWork]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(PendingWork).order_by(PendingWork.id)))


async def until(condition: Callable[[], Any], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


class TestServing:
    async def test_every_request_runs_once_and_the_table_empties(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        schedulers: Callable[..., Scheduler],
        org_id: int,
    ) -> None:
        executor = RecordingExecutor()
        # Ten events for each of 6 records: coalesced into 6 syncs.
        await enqueue(sessionmaker, *(work(org_id, n % 6) for n in range(60)))
        await schedulers(executor).start()
        await until(lambda: _empty(sessionmaker))
        assert sorted(executor.done(org_id)) == sorted(f"invoice-{n}" for n in range(6))

        async def handed_back() -> bool:  # once idle
            async with sessionmaker() as session:
                lease = await session.get(RealmLease, f"org:{org_id}")
            return lease is not None and lease.holder is None

        await until(handed_back, timeout_s=2)

    async def test_two_instances_never_serve_one_realm_at_once(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        schedulers: Callable[..., Scheduler],
        org_id: int,
    ) -> None:
        executor = RecordingExecutor(duration_s=0.2)
        orgs = [org_id + n for n in range(4)]
        await enqueue(sessionmaker, *(work(o, n) for o in orgs for n in range(8)))
        for _ in range(2):
            await schedulers(executor, realm_concurrency=2, max_realms=2, turn_s=0.2).start()
        await until(lambda: _empty(sessionmaker))
        assert len(executor.runs) == 32
        # Each instance alone runs at most 2 per realm: more would mean two holders.
        assert max(executor.peak.values()) == 2

    async def test_an_instance_leases_no_more_realms_than_it_can_feed(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        schedulers: Callable[..., Scheduler],
        org_id: int,
    ) -> None:
        first, second = RecordingExecutor(duration_s=0.2), RecordingExecutor(duration_s=0.2)
        orgs = [org_id + n for n in range(6)]
        await enqueue(sessionmaker, *(work(o, n) for o in orgs for n in range(4)))
        await schedulers(first, concurrency=4, realm_concurrency=2).start()
        await schedulers(second, concurrency=4, realm_concurrency=2).start()
        await until(lambda: _empty(sessionmaker))
        # The first to look took two realms (its 4 slots, 2 a realm), not all six.
        assert len({r.lane for r in first.runs}) < 6
        assert len({r.lane for r in second.runs}) >= 2
        assert len(first.runs) + len(second.runs) == 24

    async def test_a_backlog_does_not_hold_up_small_realms(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        schedulers: Callable[..., Scheduler],
        org_id: int,
    ) -> None:
        executor = RecordingExecutor(duration_s=0.05)
        big, small = org_id, [org_id + n for n in range(1, 6)]
        await enqueue(sessionmaker, *(work(big, n) for n in range(60)))
        await enqueue(sessionmaker, *(work(o, n) for o in small for n in range(2)))
        await schedulers(executor, concurrency=6, realm_concurrency=3).start()
        await until(lambda: _empty(sessionmaker))
        big_ends = sorted(r.ended for r in executor.runs if r.organization_id == big)
        last_small = max(r.ended for r in executor.runs if r.organization_id != big)
        # The small realms were done while the big one had most of its backlog left.
        assert last_small < big_ends[20]

    async def test_realms_take_turns_when_an_instance_has_no_room(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        schedulers: Callable[..., Scheduler],
        org_id: int,
    ) -> None:
        executor = RecordingExecutor(duration_s=0.1)
        await enqueue(sessionmaker, *(work(o, n) for o in (org_id, org_id + 1) for n in range(40)))
        await schedulers(executor, max_realms=1, turn_s=0.5, lease_s=1.5).start()
        await until(lambda: _empty(sessionmaker), timeout_s=60)
        first_of = {
            o: min(r.started for r in executor.runs if r.organization_id == o)
            for o in (org_id, org_id + 1)
        }
        last_of = {
            o: max(r.ended for r in executor.runs if r.organization_id == o)
            for o in (org_id, org_id + 1)
        }
        # Neither realm waited for the other's whole backlog.
        assert max(first_of.values()) < min(last_of.values())

    async def test_a_person_waiting_runs_before_events_and_events_before_backfill(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        schedulers: Callable[..., Scheduler],
        org_id: int,
    ) -> None:
        executor = RecordingExecutor(duration_s=0.01)
        await enqueue(
            sessionmaker,
            *(work(org_id, n, priority=Priority.BULK) for n in range(5)),
            *(work(org_id, n, priority=Priority.EVENT) for n in range(10, 15)),
            work(org_id, 99, priority=Priority.INTERACTIVE, max_attempts=1),
        )
        await schedulers(executor, realm_concurrency=1).start()
        await until(lambda: _empty(sessionmaker))
        order = [r.aforo_id for r in executor.runs]
        assert order[0] == "invoice-99"
        assert set(order[1:6]) == {f"invoice-{n}" for n in range(10, 15)}


class TestFailures:
    async def test_retryable_failures_are_retried_then_parked_with_the_reason(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        schedulers: Callable[..., Scheduler],
        org_id: int,
    ) -> None:
        executor = RecordingExecutor(
            duration_s=0.01,
            fail={
                "invoice-1": DependencyUnavailable("metering is down"),
                "invoice-2": InvalidInput("no lines"),
            },
        )
        await enqueue(sessionmaker, work(org_id, 1), work(org_id, 2), work(org_id, 3))
        await schedulers(executor).start()

        async def settled() -> bool:
            return all(w.state == "PARKED" for w in await remaining(sessionmaker))

        await until(settled)
        parked = {w.aforo_id: w for w in await remaining(sessionmaker)}
        assert set(parked) == {"invoice-1", "invoice-2"}
        assert (parked["invoice-1"].park_reason, parked["invoice-1"].attempts) == (
            "attempts_exhausted",
            3,
        )
        assert (parked["invoice-2"].park_reason, parked["invoice-2"].attempts) == (
            "permanent_error",
            1,
        )
        assert parked["invoice-1"].error_code == "dependency_unavailable"
        attempts = [r.attempt for r in executor.runs if r.aforo_id == "invoice-1"]
        assert attempts == [1, 2, 3]

    async def test_an_error_with_a_retry_budget_parks_once_it_is_spent(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        schedulers: Callable[..., Scheduler],
        org_id: int,
    ) -> None:
        # An invoice metering does not know is waited out briefly (AforoNotReady: two
        # retries), even where the work would allow more attempts: the sync log says FAILED
        # after the third, and the work must not run again after that row.
        not_there = AforoNotReady("invoice 1: not found", service="billing", upstream_status=404)
        executor = RecordingExecutor(duration_s=0.01, fail={"invoice-1": not_there})
        await enqueue(sessionmaker, work(org_id, 1, max_attempts=6))
        await schedulers(executor).start()

        async def settled() -> bool:
            return all(w.state == "PARKED" for w in await remaining(sessionmaker))

        await until(settled)
        [parked] = await remaining(sessionmaker)
        assert (parked.park_reason, parked.attempts) == ("attempts_exhausted", 3)
        assert [r.attempt for r in executor.runs] == [1, 2, 3]

    async def test_a_retry_starts_when_it_falls_due_not_at_the_next_idle_poll(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        schedulers: Callable[..., Scheduler],
        org_id: int,
    ) -> None:
        # Nothing notifies when a retry's delay ends; an idle scheduler's polls meanwhile
        # space out (0.25, 0.5, 1, 2, 4 s…): without looking at the due time it would find
        # the retry only at the poll after it, about 6 s after the failure here.
        delay_s = 2.5
        executor = RecordingExecutor(
            duration_s=0.01, fail={"invoice-1": DependencyUnavailable("metering is down")}
        )
        await enqueue(sessionmaker, work(org_id, 1, max_attempts=2))
        await schedulers(
            executor, poll_interval_s=0.25, idle_poll_max_s=10.0, retry_delays_s=[delay_s]
        ).start()

        async def retried() -> bool:
            return len(executor.runs) == 2 and executor.runs[1].ended > 0

        await until(retried)
        first, second = executor.runs
        assert delay_s <= second.started - first.ended < delay_s + 1.0

    async def test_a_record_another_sync_holds_is_tried_again_within_moments(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        schedulers: Callable[..., Scheduler],
        org_id: int,
    ) -> None:
        # The record (or one it needs) was locked by a sync under way: its first retry does
        # not wait for the first retry delay, the holder is about to commit.
        busy = RecordBusy("1:ITEM:plan-1 stayed locked by another sync for 5 s")
        executor = RecordingExecutor(
            duration_s=0.01,
            fail={
                "invoice-1": busy,
                "invoice-2": DependencyFailed("item plan-1 could not be synced", cause=busy),
            },
        )
        await enqueue(
            sessionmaker, work(org_id, 1, max_attempts=2), work(org_id, 2, max_attempts=2)
        )
        await schedulers(executor, retry_delays_s=[60.0]).start()

        async def retried() -> bool:
            return len([r for r in executor.runs if r.ended]) == 4

        await until(retried)
        for aforo_id in ("invoice-1", "invoice-2"):
            first, second = [r for r in executor.runs if r.aforo_id == aforo_id]
            assert RecordBusy.first_retry_s <= second.started - first.ended < 5

    async def test_work_left_running_by_a_dead_instance_is_resumed_after_its_lease(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        schedulers: Callable[..., Scheduler],
        org_id: int,
    ) -> None:
        stuck = RecordingExecutor(gate=asyncio.Event())  # never finishes
        await enqueue(sessionmaker, *(work(org_id, n) for n in range(4)))
        dead = schedulers(stuck, lease_s=0.5)
        await dead.start()
        await until(lambda: _running(sessionmaker, 3))
        _vanish(dead)  # no stop(), no hand-back: as after kill -9

        survivor = RecordingExecutor(duration_s=0.01)
        await schedulers(survivor).start()
        await until(lambda: _empty(sessionmaker))
        assert sorted(survivor.done(org_id)) == [f"invoice-{n}" for n in range(4)]


def _vanish(scheduler: Scheduler) -> None:
    for task in [scheduler._loop_task, *scheduler._tasks.values()]:
        assert task is not None
        task.cancel()
    scheduler._loop_task = None
    scheduler._tasks.clear()
    scheduler._lanes.clear()


async def _empty(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    return not await remaining(sessionmaker)


async def _running(sessionmaker: async_sessionmaker[AsyncSession], count: int) -> bool:
    return sum(w.state == "RUNNING" for w in await remaining(sessionmaker)) >= count
