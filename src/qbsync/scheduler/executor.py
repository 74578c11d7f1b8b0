"""How pending work reaches the sync engine: one call per (organization, kind, Aforo id)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.quickbooks.batching import WriteBatcher
from qbsync.quickbooks.limiter import URGENT
from qbsync.scheduler.execution import Attempt, Batching, Execute
from qbsync.scheduler.models import PendingWork, Priority
from qbsync.sync.context import SyncDeps
from qbsync.sync.engine import SyncOptions, sync
from qbsync.sync.mappers.payments import PaymentFacts
from qbsync.sync.registry import find
from qbsync.sync.results import SyncResult


def known_details(known: object | None) -> dict[str, Any] | None:
    """What a trigger knows of its record, kept on the work row until the sync runs."""
    if isinstance(known, PaymentFacts):
        return known.to_details()
    return dict(known) if isinstance(known, Mapping) else None


def engine_executor(deps: SyncDeps) -> Execute:
    """Each attempt is one call of the engine for (organization, kind, Aforo id)."""

    async def execute(session: AsyncSession, attempt: Attempt) -> SyncResult:
        work = attempt.work
        options = SyncOptions(
            trigger=attempt.trigger,
            correlation_id=work.correlation_id,
            attempt=attempt.number,
            will_retry=attempt.will_retry,
            caller_token=attempt.caller_token,
        )
        urgent = URGENT.set(work.priority == Priority.INTERACTIVE)
        try:
            return await sync(
                session,
                deps,
                organization_id=work.organization_id,
                kind=work.kind,
                aforo_id=work.aforo_id,
                options=options,
                details=work.details or None,
            )
        finally:
            URGENT.reset(urgent)

    return execute


def engine_batching(deps: SyncDeps) -> Batching:
    """A burst of records of one kind: its creates go out through the realm's client (whose
    limiter paces the batches). Other work (reconciliation's reads) is not grouped."""

    def batcher(work: PendingWork) -> WriteBatcher | None:
        if find(work.kind) is None:
            return None
        return WriteBatcher(
            deps.quickbooks.client(organization_id=work.organization_id, realm_id=work.lane)
        )

    return batcher
