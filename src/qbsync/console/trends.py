"""What the Work screen draws over time: pending work per organization, each realm's use of its
minute budget, and each organization's current run (a month-end invoicing is one run).

The API answers for *now* only, so every serving process samples Postgres every few seconds
and keeps the last hours in memory. Every instance samples the same tables, so any of them
draws the same picture; a restarted one starts a fresh history (the page says since when)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Integer, column, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import BIGINT, TIMESTAMP, array
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.db.base import utcnow
from qbsync.resources import Resources
from qbsync.scheduler import repository
from qbsync.scheduler.models import Priority, RealmLease, WorkState
from qbsync.scheduler.service import Scheduling
from qbsync.sync.models import SyncLog, SyncStatus

log = logging.getLogger(__name__)

# An attempt that ends a record's work; RETRYING leaves it pending.
FINISHED = (SyncStatus.SUCCESS, SyncStatus.SKIPPED, SyncStatus.FAILED)
# The pace of a run is read over its last minutes: a run slows as its realm's budget binds.
PACE_OVER = timedelta(minutes=2)
# A lease row not served for this long has no requests left in its minute.
MINUTE = 60.0


@dataclass(frozen=True)
class Depth:
    """Work of one organization (or all) at one moment."""

    interactive: int = 0
    event: int = 0
    bulk: int = 0
    running: int = 0
    parked: int = 0

    @property
    def waiting(self) -> int:
        return self.interactive + self.event + self.bulk

    @property
    def remaining(self) -> int:
        """What still has to reach QuickBooks (parked work waits for a person instead)."""
        return self.waiting + self.running

    def __add__(self, other: Depth) -> Depth:
        return Depth(
            self.interactive + other.interactive,
            self.event + other.event,
            self.bulk + other.bulk,
            self.running + other.running,
            self.parked + other.parked,
        )


@dataclass
class Run:
    """An organization's work from the moment some was waiting until none is: ``done`` counts
    the attempts that finished a record (synced, skipped or failed for good) since it began."""

    organization_id: int
    started_at: datetime
    done: int = 0
    failed: int = 0
    remaining: int = 0
    peak: int = 0
    finished_at: datetime | None = None
    progress: deque[tuple[datetime, int]] = field(default_factory=lambda: deque(maxlen=64))

    @property
    def total(self) -> int:
        return self.done + self.remaining

    @property
    def share(self) -> float:
        return self.done / self.total if self.total else 1.0

    def pace_per_minute(self, now: datetime) -> float | None:
        """Records finished a minute over the last couple of minutes (None: too early)."""
        since = now - PACE_OVER
        recent = [point for point in self.progress if point[0] >= since] or list(self.progress)
        if len(recent) < 2:
            return None
        (first_at, first_done), (last_at, last_done) = recent[0], recent[-1]
        seconds = (last_at - first_at).total_seconds()
        if seconds <= 0:
            return None
        return (last_done - first_done) * 60 / seconds

    def eta(self, now: datetime) -> timedelta | None:
        pace = self.pace_per_minute(now)
        if self.finished_at is not None or not self.remaining or not pace:
            return None
        return timedelta(minutes=self.remaining / pace)


@dataclass
class Trends:
    """The samples of one process; ``window`` bounds how far back they go."""

    sample_s: float
    window: timedelta
    per_minute: int
    started_at: datetime = field(default_factory=utcnow)
    # Key None: every organization together.
    depths: dict[int | None, deque[tuple[datetime, Depth]]] = field(default_factory=dict)
    # Requests each realm started in the minute before the sample (as its leaseholder last
    # saved them: at most a third of a lease old).
    realms: dict[str, deque[tuple[datetime, int]]] = field(default_factory=dict)
    # The current run of each organization, or its last one once it finished.
    runs: dict[int, Run] = field(default_factory=dict)
    last_sample_at: datetime | None = None

    @property
    def _keep(self) -> int:
        return max(2, int(self.window.total_seconds() / self.sample_s) + 2)

    def _depth(self, key: int | None, at: datetime, value: Depth) -> None:
        self.depths.setdefault(key, deque(maxlen=self._keep)).append((at, value))

    def _realm(self, lane: str, at: datetime, used: int) -> None:
        self.realms.setdefault(lane, deque(maxlen=self._keep)).append((at, used))

    def record(
        self,
        at: datetime,
        depths: dict[int, Depth],
        oldest: dict[int, datetime],
        realm_use: dict[str, int],
        finished: dict[int, tuple[int, int]],
    ) -> None:
        """One sample: ``finished`` is (finished, failed) since each current run began."""
        total = Depth()
        for depth in depths.values():
            total = total + depth
        self._depth(None, at, total)
        # An organization's series holds its non-empty samples and the first empty one after.
        for org in set(depths) | {k for k in self.depths if k is not None}:
            depth = depths.get(org, Depth())
            points = self.depths.get(org)
            if depth.remaining or depth.parked or (points and points[-1][1] != Depth()):
                self._depth(org, at, depth)
        for lane in set(realm_use) | set(self.realms):
            used = realm_use.get(lane, 0)
            points_used = self.realms.get(lane)
            if used or (points_used and points_used[-1][1]):
                self._realm(lane, at, used)
        self._follow_runs(at, depths, oldest, finished)
        self._forget(at)
        self.last_sample_at = at

    def _follow_runs(
        self,
        at: datetime,
        depths: dict[int, Depth],
        oldest: dict[int, datetime],
        finished: dict[int, tuple[int, int]],
    ) -> None:
        for org, depth in depths.items():
            run = self.runs.get(org)
            if depth.remaining and (run is None or run.finished_at is not None):
                # The oldest waiting work dates the run, even if it began before this process.
                run = self.runs[org] = Run(org, started_at=min(oldest.get(org, at), at))
        for org, run in self.runs.items():
            if run.finished_at is not None:
                continue
            run.done, run.failed = finished.get(org, (run.done, run.failed))
            run.remaining = depths.get(org, Depth()).remaining
            run.peak = max(run.peak, run.total)
            run.progress.append((at, run.done))
            if not run.remaining:
                run.finished_at = at

    def _forget(self, at: datetime) -> None:
        """Series with nothing left in the window go, so memory follows the busy ones."""
        horizon = at - self.window
        _trim(self.depths, horizon, keep=None)
        _trim(self.realms, horizon)
        for org in [o for o, r in self.runs.items() if r.finished_at and r.finished_at < horizon]:
            del self.runs[org]

    def active_runs(self) -> dict[int, datetime]:
        return {org: run.started_at for org, run in self.runs.items() if run.finished_at is None}

    def span(self, now: datetime) -> tuple[datetime, datetime]:
        """The time the charts cover: since the first sample (at least five minutes), at most
        ``window``."""
        start = max(now - self.window, min(self.started_at, now - timedelta(minutes=5)))
        return start, now


def _trim(
    series: dict[Any, deque[tuple[datetime, Any]]], horizon: datetime, *, keep: object = ...
) -> None:
    for key in [k for k in series if k != keep]:
        points = series[key]
        while points and points[0][0] < horizon:
            points.popleft()
        if not points:
            del series[key]


# --- sampling from Postgres ---------------------------------------------------------------


async def read_depths(session: AsyncSession) -> tuple[dict[int, Depth], dict[int, datetime]]:
    counts: dict[int, dict[str, int]] = {}
    oldest: dict[int, datetime] = {}
    for row in await repository.pending_counts(session):
        parts = counts.setdefault(row.organization_id, {})
        if row.state == WorkState.PARKED:
            parts["parked"] = parts.get("parked", 0) + row.count
            continue
        if row.state == WorkState.RUNNING:
            parts["running"] = parts.get("running", 0) + row.count
        else:
            name = Priority(row.priority).name.lower()
            parts[name] = parts.get(name, 0) + row.count
        found = oldest.get(row.organization_id)
        oldest[row.organization_id] = min(found, row.oldest_at) if found else row.oldest_at
    return {org: Depth(**parts) for org, parts in counts.items()}, oldest


async def read_realm_use(
    session: AsyncSession, wall_now: float, scheduling: Scheduling | None = None
) -> dict[str, int]:
    """Requests each realm started in its last minute: from the pacing its leaseholder saves
    with the lease (so every instance sees every realm, a third of a lease late at most), or
    live from this process's limiter when this process holds the realm."""
    starts = func.unnest(RealmLease.recent_starts).table_valued("value").render_derived("starts")
    used = (
        select(func.count())
        .select_from(starts)
        .where(starts.c.value > wall_now - MINUTE)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(RealmLease.lane, RealmLease.holder, used).where(
            or_(
                RealmLease.holder.is_not(None),
                RealmLease.last_served_at > func.now() - literal_column("interval '70 seconds'"),
            )
        )
    )
    found = {}
    for lane, holder, count in rows:
        if scheduling is not None and holder and holder.startswith(scheduling.holder):
            live, _ = scheduling.limiters.for_realm(lane).history(wall_now=wall_now)
            count = sum(1 for start in live if start > wall_now - MINUTE)
        if count:
            found[lane] = count
    return found


async def read_finished(
    session: AsyncSession, runs: dict[int, datetime]
) -> dict[int, tuple[int, int]]:
    """Per organization with a current run: attempts that finished a record since it began,
    and how many of them failed."""
    if not runs:
        return {}
    orgs = list(runs)
    since = [runs[org] for org in orgs]
    run = (
        func.unnest(array(orgs, type_=BIGINT), array(since, type_=TIMESTAMP(timezone=True)))
        .table_valued(column("org", BIGINT), column("since", TIMESTAMP(timezone=True)))
        .render_derived("run")
    )
    failed = func.count().filter(SyncLog.status == SyncStatus.FAILED)
    rows = await session.execute(
        select(SyncLog.organization_id, func.count(), failed.cast(Integer))
        .join(
            run,
            (SyncLog.organization_id == run.c.org) & (SyncLog.created_at >= run.c.since),
        )
        .where(SyncLog.status.in_(FINISHED))
        .group_by(SyncLog.organization_id)
    )
    found = {org: (count, failures) for org, count, failures in rows}
    return {org: found.get(org, (0, 0)) for org in orgs}


async def sample_once(
    trends: Trends,
    sessionmaker: async_sessionmaker[AsyncSession],
    scheduling: Scheduling | None = None,
) -> None:
    at = utcnow()
    async with sessionmaker() as session:
        depths, oldest = await read_depths(session)
        realm_use = await read_realm_use(session, time.time(), scheduling)
        runs = trends.active_runs()
        for org, depth in depths.items():  # a run that begins now counts from its oldest work
            if depth.remaining and org not in runs:
                runs[org] = min(oldest.get(org, at), at)
        finished = await read_finished(session, runs)
    trends.record(at, depths, oldest, realm_use, finished)


async def _sample_forever(trends: Trends, resources: Resources) -> None:
    while True:
        try:
            await sample_once(trends, resources.sessionmaker, resources.scheduling)
        except Exception as exc:  # a database outage pauses the history; the pages say so
            log.info("console trends sampling skipped", extra={"error": type(exc).__name__})
        await asyncio.sleep(trends.sample_s)


def install_sampler(app: FastAPI) -> None:
    """Runs the sampler for as long as the app serves: wraps the app's own lifespan, which
    opens the database this reads."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        async with inner(application):
            resources: Resources = application.state.resources
            settings = resources.settings
            trends = Trends(
                sample_s=settings.console.trend_sample_s,
                window=timedelta(seconds=settings.console.trend_window_s),
                per_minute=settings.quickbooks.requests_per_minute,
            )
            application.state.console_trends = trends
            task = asyncio.create_task(_sample_forever(trends, resources))
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app.router.lifespan_context = lifespan
