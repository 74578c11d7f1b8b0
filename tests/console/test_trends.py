"""The Work screen's history: pending work, realm use and runs sampled from Postgres, and the
run's progress and ETA drawn from them."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.console.charts import over_time
from qbsync.console.trends import Depth, Run, Trends, sample_once
from qbsync.console.work import depth_chart, use_chart
from qbsync.db.base import utcnow
from qbsync.scheduler import repository
from qbsync.scheduler.models import PendingWork, Priority, RealmLease
from qbsync.sync.models import SyncLog
from tests.scheduler.conftest import work


def _trends() -> Trends:
    return Trends(sample_s=1.0, window=timedelta(hours=1), per_minute=500)


async def _finish(
    sessionmaker: async_sessionmaker[AsyncSession], org: int, numbers: range, status: str
) -> None:
    """What the scheduler leaves when it finishes work: no pending row, a sync-log row."""
    ids = [f"invoice-{n}" for n in numbers]
    async with sessionmaker.begin() as session:
        await session.execute(
            delete(PendingWork).where(
                PendingWork.organization_id == org, PendingWork.aforo_id.in_(ids)
            )
        )
        for aforo_id in ids:
            await session.execute(
                insert(SyncLog).values(
                    organization_id=org,
                    entity_type="INVOICE",
                    aforo_id=aforo_id,
                    action="CREATE",
                    status=status,
                    trigger="EVENT",
                )
            )


async def test_a_run_is_followed_from_its_first_waiting_work_to_its_last(
    sessionmaker: async_sessionmaker[AsyncSession], org_id: int
) -> None:
    trends = _trends()
    async with sessionmaker.begin() as session:
        for n in range(10):
            await repository.enqueue(session, work(org_id, n))
        await repository.enqueue(session, work(org_id, 99, priority=Priority.BULK))
    await sample_once(trends, sessionmaker)
    assert trends.depths[org_id][-1][1] == Depth(event=10, bulk=1)
    run = trends.runs[org_id]
    assert (run.done, run.remaining, run.finished_at) == (0, 11, None)

    await _finish(sessionmaker, org_id, range(4), "SUCCESS")
    await _finish(sessionmaker, org_id, range(4, 5), "FAILED")
    await sample_once(trends, sessionmaker)
    assert (run.done, run.failed, run.remaining, run.total) == (5, 1, 6, 11)
    assert trends.runs[org_id] is run  # the same run goes on

    await _finish(sessionmaker, org_id, range(5, 10), "SUCCESS")
    await _finish(sessionmaker, org_id, range(99, 100), "SKIPPED")
    await sample_once(trends, sessionmaker)
    assert (run.done, run.remaining, run.share) == (11, 0, 1.0)
    assert run.finished_at is not None
    assert trends.depths[org_id][-1][1] == Depth()  # drawn down to zero

    # New work later is a new run; the finished one is not reopened.
    async with sessionmaker.begin() as session:
        await repository.enqueue(session, work(org_id, 200))
    await sample_once(trends, sessionmaker)
    assert trends.runs[org_id] is not run
    assert (trends.runs[org_id].done, trends.runs[org_id].remaining) == (0, 1)


async def test_realm_use_is_read_from_the_pacing_saved_with_each_lease(
    sessionmaker: async_sessionmaker[AsyncSession], org_id: int
) -> None:
    lane, idle = f"realm-{org_id}", f"idle-{org_id}"
    now = time.time()
    starts = [now - 120.0, *(now - i * 0.1 for i in range(250))]  # one is older than a minute
    async with sessionmaker.begin() as session:
        await session.execute(
            insert(RealmLease).values(
                lane=lane, holder="worker-1", lease_until=utcnow(), recent_starts=starts
            )
        )
        await session.execute(insert(RealmLease).values(lane=idle, recent_starts=[now - 5]))
    try:
        trends = _trends()
        await sample_once(trends, sessionmaker)
        assert trends.realms[lane][-1][1] == 250
        assert idle not in trends.realms  # nobody served it lately: its minute is over
        chart = use_chart(list(trends.realms[lane]), 500, *trends.span(utcnow()))
        assert [bar.title.split(": ", 1)[1] for bar in chart.bars] == [
            "50% of the minute's requests"
        ]
        assert [tick.label for tick in chart.y_ticks] == ["0%", "50%", "100%"]
    finally:
        async with sessionmaker.begin() as session:
            await session.execute(delete(RealmLease).where(RealmLease.lane.in_([lane, idle])))


def test_pace_and_eta_follow_the_last_minutes() -> None:
    start = utcnow()
    run = Run(7, started_at=start, done=0, remaining=100)
    for second, done in ((0, 0), (30, 10), (60, 20)):
        run.progress.append((start + timedelta(seconds=second), done))
    run.done, run.remaining = 20, 80
    now = start + timedelta(seconds=60)
    assert run.pace_per_minute(now) == 20.0
    assert run.eta(now) == timedelta(minutes=4)
    assert Run(7, started_at=start, remaining=5).eta(now) is None  # no pace yet


def test_a_chart_column_shows_the_peak_of_its_samples() -> None:
    start = utcnow()
    points = [
        (start + timedelta(seconds=1), Depth(event=3)),
        (start + timedelta(seconds=2), Depth(event=9, running=1)),
        (start + timedelta(seconds=70), Depth(bulk=2)),
    ]
    slices = over_time(
        points, start, start + timedelta(minutes=2), columns=2, size=lambda d: d.remaining
    )
    assert [depth for _, depth in slices] == [Depth(event=9, running=1), Depth(bulk=2)]
    chart = depth_chart(points, start, start + timedelta(minutes=2))
    assert {bar.title.split(": ", 1)[1] for bar in chart.bars} >= {"9 events", "1 running"}
