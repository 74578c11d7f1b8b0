"""How pending work reaches the sync engine: one call per (organization, kind, Aforo id)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.db.shared import SharedSession
from qbsync.errors import InvalidInput
from qbsync.quickbooks.batching import SentLedger, WriteBatcher, resending
from qbsync.quickbooks.limiter import URGENT
from qbsync.scheduler.execution import Attempt, Execute
from qbsync.scheduler.models import PendingWork, Priority
from qbsync.scheduler.sent_batches import SentBatches
from qbsync.sync.context import SyncDeps
from qbsync.sync.engine import SyncOptions, sync
from qbsync.sync.mappers.payments import PaymentFacts
from qbsync.sync.registry import find
from qbsync.sync.repository import prepare_group
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


class EngineBatching:
    """A burst of records of one kind: its creates go out through the realm's client (whose
    limiter paces the batches), each batch recorded in ``ledger`` before it is sent. Other
    work (reconciliation's reads) is not grouped."""

    def __init__(self, deps: SyncDeps, ledger: SentLedger, *, linger_s: float) -> None:
        self._deps = deps
        self._ledger = ledger
        self._linger_s = linger_s

    def batcher(self, work: PendingWork) -> WriteBatcher | None:
        if find(work.kind) is None:
            return None
        client = self._deps.quickbooks.client(
            organization_id=work.organization_id, realm_id=work.lane
        )
        return WriteBatcher(client, ledger=self._ledger, linger_s=self._linger_s)

    def depends_on(self, kind: str) -> tuple[str, ...]:
        found = find(kind)
        return found.depends_on if found is not None else ()

    async def prepare(self, session: SharedSession, works: Sequence[PendingWork]) -> None:
        kind = find(works[0].kind)
        if kind is None:
            return
        aforo_ids = []
        for work in works:
            try:
                aforo_ids.append(kind.aforo_id(kind.parse(work.aforo_id)))
            except InvalidInput:
                continue  # its own sync says so
        await prepare_group(
            session,
            organization_id=works[0].organization_id,
            entity_type=kind.entity_type,
            aforo_ids=aforo_ids,
        )

    def repeating(self) -> AbstractContextManager[None]:
        return resending(self._ledger)


# How long a burst's batch waits for a member that is neither at its create nor done, after
# the last create arrived (at most four times this after the first): members held up by a
# slow Aforo read or a busy process still arrive; one that never will costs its group this.
BURST_LINGER_S = 1.0


def engine_batching(
    deps: SyncDeps,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    linger_s: float = BURST_LINGER_S,
) -> EngineBatching:
    return EngineBatching(deps, SentBatches(sessionmaker), linger_s=linger_s)
