"""Pending work in Postgres: coalescing, realm leases, taking due work, settling, replay."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.scheduler import repository
from qbsync.scheduler.models import PendingWork, Priority, RealmLease, WorkState
from tests.fixtures.sync import Org

from .conftest import work


async def _rows(sessionmaker: async_sessionmaker[AsyncSession]) -> list[PendingWork]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(PendingWork).order_by(PendingWork.id)))


async def _enqueue(
    sessionmaker: async_sessionmaker[AsyncSession], *requests: repository.WorkRequest
) -> list[repository.Enqueued]:
    async with sessionmaker.begin() as session:
        return [await repository.enqueue(session, r) for r in requests]


class TestEnqueue:
    async def test_repeated_requests_for_a_pending_record_coalesce(
        self, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
    ) -> None:
        first, *others = await _enqueue(sessionmaker, *(work(org_id, 5) for _ in range(10)))
        assert not first.coalesced
        assert all(o.coalesced and o.work_id == first.work_id for o in others)
        [row] = await _rows(sessionmaker)
        assert (row.coalesced, row.state, row.lane) == (9, WorkState.PENDING, f"org:{org_id}")

    async def test_a_more_urgent_request_raises_the_priority_and_takes_over_the_trigger(
        self, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
    ) -> None:
        await _enqueue(
            sessionmaker,
            work(org_id, 5, priority=Priority.BULK, trigger="BACKFILL", correlation_id="bf-1"),
            work(org_id, 5, priority=Priority.INTERACTIVE, trigger="MANUAL", max_attempts=1),
            work(org_id, 5, priority=Priority.EVENT, trigger="EVENT", correlation_id="ev"),
        )
        [row] = await _rows(sessionmaker)
        assert (row.priority, row.trigger, row.correlation_id) == (0, "MANUAL", None)
        assert row.max_attempts == 3  # the event's retries are kept

    async def test_new_request_runs_a_delayed_retry_now(
        self, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
    ) -> None:
        await _enqueue(sessionmaker, work(org_id, 5, delay_s=600))
        [row] = await _rows(sessionmaker)
        await _enqueue(sessionmaker, work(org_id, 5))
        [again] = await _rows(sessionmaker)
        assert (row.run_at - again.run_at).total_seconds() > 500

    async def test_a_record_that_is_running_gets_a_new_pending_row(
        self, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
    ) -> None:
        [first] = await _enqueue(sessionmaker, work(org_id, 5))
        async with sessionmaker.begin() as session:
            await repository.claim_lanes(session, holder="a", limit=1, lease_s=30)
            [taken] = await repository.take_due(session, lane=first.lane, holder="a", limit=5)
        [second] = await _enqueue(sessionmaker, work(org_id, 5))
        assert second.work_id != taken.id
        assert not second.coalesced
        # ...which waits: the same record never runs twice at once.
        async with sessionmaker.begin() as session:
            assert await repository.take_due(session, lane=first.lane, holder="a", limit=5) == []

    async def test_the_lane_is_the_connected_realm(
        self, sessionmaker: async_sessionmaker[AsyncSession], org: Org
    ) -> None:
        [queued] = await _enqueue(sessionmaker, work(org.organization_id, 1))
        assert queued.lane == org.realm_id
        async with sessionmaker() as session:
            assert await session.get(RealmLease, org.realm_id) is not None


class TestClaimLanes:
    async def test_most_urgent_then_least_recently_served_first(
        self, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
    ) -> None:
        orgs = [org_id + n for n in range(4)]
        await _enqueue(sessionmaker, *(work(o, 1) for o in orgs))
        await _enqueue(sessionmaker, work(orgs[3], 2, priority=Priority.INTERACTIVE))
        async with sessionmaker.begin() as session:
            for n, o in enumerate(orgs[:3]):
                await session.execute(
                    update(RealmLease)
                    .where(RealmLease.lane == f"org:{o}")
                    .values(last_served_at=func.now() - timedelta(minutes=n))
                )
        async with sessionmaker.begin() as session:
            leases = await repository.claim_lanes(session, holder="a", limit=4, lease_s=30)
        assert [lease.lane for lease in leases] == [
            f"org:{orgs[3]}",  # a person waits there
            f"org:{orgs[2]}",
            f"org:{orgs[1]}",
            f"org:{orgs[0]}",
        ]

    async def test_concurrent_claimers_never_share_a_realm(
        self, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
    ) -> None:
        await _enqueue(sessionmaker, *(work(org_id + n, 1) for n in range(12)))

        async def claim(holder: str) -> list[str]:
            async with sessionmaker.begin() as session:
                leases = await repository.claim_lanes(session, holder=holder, limit=5, lease_s=30)
                await asyncio.sleep(0.05)  # hold the row locks while the others claim
                return [lease.lane for lease in leases]

        results = await asyncio.gather(*(claim(f"h{n}") for n in range(3)))
        claimed = [lane for lanes in results for lane in lanes]
        assert len(claimed) == len(set(claimed)) == 12

    async def test_a_held_lease_is_not_taken_until_it_expires(
        self, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
    ) -> None:
        queued, _ = await _enqueue(sessionmaker, work(org_id, 1), work(org_id, 2))
        async with sessionmaker.begin() as session:
            assert await repository.claim_lanes(session, holder="a", limit=1, lease_s=30)
            [taken] = await repository.take_due(session, lane=queued.lane, holder="a", limit=1)
        async with sessionmaker.begin() as session:
            assert await repository.claim_lanes(session, holder="b", limit=1, lease_s=30) == []
            await session.execute(
                update(RealmLease).values(lease_until=func.now() - timedelta(seconds=1))
            )
        # "a" died: "b" takes the realm over, and what "a" was running is pending again.
        async with sessionmaker.begin() as session:
            [lease] = await repository.claim_lanes(session, holder="b", limit=1, lease_s=30)
            retaken = await repository.take_due(session, lane=lease.lane, holder="b", limit=5)
        assert {w.id for w in retaken} == {taken.id, taken.id + 1}
        assert all(w.claimed_by == "b" for w in retaken)
        async with sessionmaker.begin() as session:
            assert (
                await repository.renew_leases(
                    session, holder="a", pacing={lease.lane: ([], None)}, lease_s=30
                )
                == set()
            )
        assert lease.expired_until is not None  # taken over from a holder that died

    async def test_pacing_is_handed_over_with_the_lease(
        self, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
    ) -> None:
        [queued] = await _enqueue(sessionmaker, work(org_id, 1))
        async with sessionmaker.begin() as session:
            await repository.claim_lanes(session, holder="a", limit=1, lease_s=30)
            await repository.release_lease(
                session, holder="a", lane=queued.lane, recent_starts=[1.5, 2.5], paused_until=9.0
            )
            [lease] = await repository.claim_lanes(session, holder="b", limit=1, lease_s=30)
        assert (lease.recent_starts, lease.paused_until) == ([1.5, 2.5], 9.0)


class TestTakeDue:
    async def test_most_urgent_first_and_not_before_run_at(
        self, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
    ) -> None:
        queued = await _enqueue(
            sessionmaker,
            work(org_id, 1, priority=Priority.BULK),
            work(org_id, 2, priority=Priority.EVENT),
            work(org_id, 3, priority=Priority.INTERACTIVE),
            work(org_id, 4, priority=Priority.INTERACTIVE, delay_s=60),
        )
        async with sessionmaker.begin() as session:
            await repository.claim_lanes(session, holder="a", limit=1, lease_s=30)
            taken = await repository.take_due(session, lane=queued[0].lane, holder="a", limit=10)
        assert [w.aforo_id for w in taken] == ["invoice-3", "invoice-2", "invoice-1"]


class TestSettle:
    async def test_retry_later_counts_the_attempt_and_waits(
        self, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
    ) -> None:
        [queued] = await _enqueue(sessionmaker, work(org_id, 1, priority=Priority.INTERACTIVE))
        async with sessionmaker.begin() as session:
            await repository.claim_lanes(session, holder="a", limit=1, lease_s=30)
            [taken] = await repository.take_due(session, lane=queued.lane, holder="a", limit=1)
            await repository.retry_later(
                session, taken, delay_s=30, log_id=None, error=("e", "TRANSIENT", "m"), result=None
            )
        [row] = await _rows(sessionmaker)
        assert (row.state, row.attempts, row.priority, row.error_code) == ("PENDING", 1, 1, "e")
        async with sessionmaker.begin() as session:
            assert await repository.take_due(session, lane=queued.lane, holder="a", limit=1) == []

    async def test_retry_joins_a_request_that_came_in_meanwhile(
        self, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
    ) -> None:
        [queued] = await _enqueue(sessionmaker, work(org_id, 1))
        async with sessionmaker.begin() as session:
            await repository.claim_lanes(session, holder="a", limit=1, lease_s=30)
            [taken] = await repository.take_due(session, lane=queued.lane, holder="a", limit=1)
        [twin] = await _enqueue(sessionmaker, work(org_id, 1))
        async with sessionmaker.begin() as session:
            await repository.retry_later(
                session, taken, delay_s=30, log_id=None, error=("e", "TRANSIENT", "m"), result=None
            )
        assert [r.id for r in await _rows(sessionmaker)] == [twin.work_id]

    async def test_parked_work_is_listed_per_tenant_and_replayed_with_fresh_attempts(
        self, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
    ) -> None:
        mine, theirs = await _enqueue(sessionmaker, work(org_id, 1), work(org_id + 1, 1))
        async with sessionmaker.begin() as session:
            for queued in (mine, theirs):
                await repository.park(
                    session,
                    queued.work_id,
                    reason="permanent_error",
                    error=("x", "PERMANENT", "no"),
                )
        async with sessionmaker.begin() as session:
            listed = await repository.list_parked(session, organization_id=org_id, limit=10)
            assert [p.id for p in listed] == [mine.work_id]
            assert (
                await repository.get_parked(session, theirs.work_id, organization_id=org_id) is None
            )
            parked = await repository.get_parked(session, mine.work_id, organization_id=org_id)
            assert parked is not None
            assert parked.attempts == 1
            await repository.replay(session, parked, max_attempts=6)
        row = next(r for r in await _rows(sessionmaker) if r.id == mine.work_id)
        assert (row.state, row.attempts, row.max_attempts, row.park_reason) == (
            "PENDING",
            0,
            6,
            None,
        )
