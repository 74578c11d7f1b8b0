"""A person waits: enqueue at the top priority and wait for that attempt's result.

The realm's leaseholder runs the most urgent work next. When nobody holds the realm (an
idle realm, or a process that serves the API only), the waiting request leases the realm
itself, runs the realm's waiting manual work, and hands it back with its pacing: a manual
sync never waits for a poll, and never for the event backlog of its realm.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.config import SchedulerSettings
from qbsync.scheduler import repository
from qbsync.scheduler.errors import DatabaseUnavailable
from qbsync.scheduler.execution import Execute, is_outage, run_attempt
from qbsync.scheduler.models import Priority
from qbsync.scheduler.runner import RealmPacing, Scheduler

FIRST_LOOK_S = 0.01
LONGEST_LOOK_S = 0.2


async def await_result(
    sessionmaker: async_sessionmaker[AsyncSession],
    queued: repository.Enqueued,
    *,
    execute: Execute,
    pacing: RealmPacing,
    settings: SchedulerSettings,
    holder: str,
    local: Scheduler | None = None,
    settled: asyncio.Event | None = None,
) -> dict[str, Any] | None:
    """The result document of the next attempt of ``queued`` (enqueued at INTERACTIVE
    priority with ``keep_result``), or None when none came within ``manual_wait_s``: the
    work stays queued and runs later. ``local`` is this process's scheduler: when it holds
    the realm, the work runs here at once on its pacing; ``settled`` is set when an attempt
    of it settles in this process."""
    settled = settled or asyncio.Event()
    try:
        deadline = time.monotonic() + settings.manual_wait_s
        look = FIRST_LOOK_S
        while True:
            async with sessionmaker() as session:
                result = await repository.get_result(session, queued.work_id)
            if result is not None:
                return result
            if time.monotonic() >= deadline:
                return None
            ran = local is not None and await local.serve_now(queued.lane)
            if not ran:
                ran = await _serve_if_free(
                    sessionmaker,
                    queued.lane,
                    execute=execute,
                    pacing=pacing,
                    settings=settings,
                    holder=holder,
                )
            if ran:
                continue  # its result (or another person's) is committed: read it
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(settled.wait(), timeout=look)
            settled.clear()
            look = min(look * 2, LONGEST_LOOK_S)
    except Exception as exc:
        if is_outage(exc):
            raise DatabaseUnavailable(f"database unavailable: {type(exc).__name__}") from exc
        raise


async def _serve_if_free(
    sessionmaker: async_sessionmaker[AsyncSession],
    lane: str,
    *,
    execute: Execute,
    pacing: RealmPacing,
    settings: SchedulerSettings,
    holder: str,
) -> bool:
    """True when this caller leased the idle realm and ran its waiting manual work."""
    async with sessionmaker.begin() as session:
        leases = await repository.claim_lanes(
            session,
            holder=holder,
            limit=1,
            lease_s=settings.lease_s,
            among=[lane],
            max_priority=Priority.INTERACTIVE,
        )
    if not leases:
        return False  # served by another holder, which runs manual work first
    limiter = pacing.take_over(leases[0])
    try:
        while True:
            async with sessionmaker.begin() as session:
                taken = await repository.take_due(
                    session,
                    lane=lane,
                    holder=holder,
                    limit=settings.realm_concurrency,
                    max_priority=Priority.INTERACTIVE,
                )
            if not taken:
                return True
            outcomes = await asyncio.gather(
                *(
                    run_attempt(sessionmaker, execute, work, delays=settings.retry_delays_s)
                    for work in taken
                ),
                return_exceptions=True,
            )
            failed = [
                (w, o) for w, o in zip(taken, outcomes, strict=True) if isinstance(o, BaseException)
            ]
            if failed:
                # Not attempted (Postgres went away): pending again before the realm is handed back.
                async with sessionmaker.begin() as session:
                    await repository.put_back(session, [work.id for work, _ in failed])
                raise failed[0][1]
    finally:
        starts, paused = pacing.hand_over(limiter)
        async with sessionmaker.begin() as session:
            await repository.release_lease(
                session, holder=holder, lane=lane, recent_starts=starts, paused_until=paused
            )
