"""Sync-log rows for what the runner decided on its own: messages that never reached the
engine (invalid) and handler crashes. Everything else the engine logged itself."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.events.outcomes import ParkReason, RunnerOutcome
from qbsync.sync import sync_log
from qbsync.sync.models import SyncAction, SyncStatus, SyncTrigger
from qbsync.sync.registry import log_aforo_id

_RECORDED = {ParkReason.INVALID_MESSAGE, ParkReason.UNEXPECTED_ERROR}


class SyncLogRecorder:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def record(self, outcome: RunnerOutcome) -> None:
        if outcome.reason not in _RECORDED:
            return
        async with self._sessionmaker.begin() as session:
            await sync_log.write(
                session,
                organization_id=outcome.organization_id,
                entity_type=outcome.entity_type or "UNKNOWN",
                aforo_id=log_aforo_id(
                    outcome.entity_type,
                    outcome.entity_id,
                    fallback=f"message:{outcome.message_id or outcome.correlation_id}",
                ),
                action=SyncAction.NONE,
                status=SyncStatus.FAILED,
                trigger=SyncTrigger.EVENT,
                attempt=outcome.attempts,
                error_code=outcome.code,
                error_category=outcome.category,
                error_message=f"message parked ({outcome.reason}): {outcome.message}",
                request_payload={
                    "routingKey": sync_log.storable(outcome.routing_key),
                    "body": sync_log.storable(outcome.body_excerpt),
                },
                correlation_id=outcome.correlation_id,
            )
