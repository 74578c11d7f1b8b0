"""The event handler: each event runs the sync engine for the kind it triggers, in its own
unit of work."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.config import AmqpSettings
from qbsync.events.runner import Handler
from qbsync.events.schemas import Event
from qbsync.events.settlement import MessageContext
from qbsync.logging import log_context
from qbsync.scheduler.errors import DatabaseUnavailable
from qbsync.sync.context import SyncDeps
from qbsync.sync.engine import SyncOptions, sync
from qbsync.sync.models import SyncStatus, SyncTrigger
from qbsync.sync.registry import by_event
from qbsync.sync.results import SyncResult

log = logging.getLogger(__name__)


def _trigger(ctx: MessageContext) -> SyncTrigger:
    if ctx.attempt > 1:
        return SyncTrigger.RETRY
    try:
        return SyncTrigger(ctx.trigger) if ctx.trigger else SyncTrigger.EVENT
    except ValueError:
        return SyncTrigger.EVENT


def build_handler(
    sessionmaker: async_sessionmaker[AsyncSession], deps: SyncDeps, settings: AmqpSettings
) -> Handler:
    async def handle(event: Event, ctx: MessageContext) -> None:
        options = SyncOptions(
            trigger=_trigger(ctx),
            correlation_id=ctx.correlation_id,
            attempt=ctx.attempt,
            # The last attempt is logged FAILED: after it the message is parked.
            will_retry=ctx.attempt <= len(settings.retry_delays_s),
        )
        with log_context(correlation_id=ctx.correlation_id, org_id=event.organization_id):
            try:
                # The engine's unit of work commits here, before the runner acks the message.
                async with sessionmaker.begin() as session:
                    result = await _sync(session, deps, event, options)
            except (IntegrityError, DataError):
                raise  # our bug or bad data, not an outage: parked as unexpected
            except (DBAPIError, PoolTimeout, OSError, TimeoutError) as exc:
                # Postgres away: nothing was committed, so the whole sync is retried later
                # (a write that reached QuickBooks is found again by its requestid).
                raise DatabaseUnavailable(f"database unavailable: {type(exc).__name__}") from exc
        if result.error is not None and result.status != SyncStatus.SKIPPED:
            # Already in the sync log; the runner retries it later or parks it.
            raise result.error

    return handle


async def _sync(
    session: AsyncSession, deps: SyncDeps, event: Event, options: SyncOptions
) -> SyncResult:
    kind = by_event(type(event))
    return await sync(
        session,
        deps,
        organization_id=event.organization_id,
        kind=kind,
        aforo_id=event.entity_id,
        options=options,
        details=kind.event_details(event) if kind.event_details else None,
    )
