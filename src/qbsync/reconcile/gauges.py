"""The open-mismatch gauge, sampled at each scrape (by entity and kind, never per organization)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.metrics import DRIFT_OPEN
from qbsync.reconcile import repository
from qbsync.reconcile.models import MismatchKind

SAMPLE_TIMEOUT_S = 2.0

log = logging.getLogger(__name__)


async def sample_drift(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Best effort: a scrape while Postgres is away leaves the last values in place."""
    try:
        async with asyncio.timeout(SAMPLE_TIMEOUT_S), sessionmaker() as session:
            counts = await repository.open_mismatch_counts(session)
    except Exception as exc:  # a metrics scrape must never fail because of the database
        log.info("drift sampling skipped", extra={"error": type(exc).__name__})
        return
    for entity in ("CUSTOMER", "INVOICE", "PAYMENT"):
        for kind in MismatchKind:
            DRIFT_OPEN.labels(entity, kind).set(counts.get((entity, kind), 0))
