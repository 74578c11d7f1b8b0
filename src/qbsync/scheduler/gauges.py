"""Queue depth and age of pending work per priority, sampled for /metrics."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.db.base import utcnow
from qbsync.metrics import PENDING_OLDEST_AGE, PENDING_WORK
from qbsync.scheduler import repository
from qbsync.scheduler.models import Priority, WorkState

SAMPLE_TIMEOUT_S = 2.0

log = logging.getLogger(__name__)


async def sample_pending(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Best effort: a scrape while Postgres is away leaves the last values in place."""
    try:
        async with asyncio.timeout(SAMPLE_TIMEOUT_S), sessionmaker() as session:
            samples = await repository.depth_by_priority(session)
    except Exception as exc:  # a metrics scrape must never fail because of the database
        log.info("pending work sampling skipped", extra={"error": type(exc).__name__})
        return
    now = utcnow()
    found = {(s.priority, s.state): s for s in samples}
    for priority in Priority:
        oldest = None
        for state in WorkState:
            sample = found.get((priority, state))
            PENDING_WORK.labels(str(int(priority)), state).set(sample.count if sample else 0)
            if sample is not None and state != WorkState.PARKED:
                oldest = min(oldest or sample.oldest_at, sample.oldest_at)
        age = (now - oldest).total_seconds() if oldest else 0.0
        PENDING_OLDEST_AGE.labels(str(int(priority))).set(age)
