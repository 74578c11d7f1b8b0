"""Reconciliation's work reaches its handlers here; every other kind goes on to the sync
engine's executor. Reconciliation's own reads are optional ones: past the read budget's soft
threshold they are deferred (the work ends; the next sweep after the budget allows it again
catches up), never parked."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.quickbooks.errors import QuickBooksReadDeferred
from qbsync.quickbooks.reads import ReadPurpose, reads_for
from qbsync.reconcile.changes import handle_change
from qbsync.reconcile.sweep import sweep
from qbsync.reconcile.work import CHANGE_KIND, SWEEP_KIND
from qbsync.scheduler.execution import Attempt, Execute
from qbsync.sync.context import SyncDeps
from qbsync.sync.models import SyncAction, SyncStatus
from qbsync.sync.results import SyncResult


def reconcile_executor(deps: SyncDeps, syncs: Execute) -> Execute:
    async def execute(session: AsyncSession, attempt: Attempt) -> SyncResult:
        if attempt.work.kind not in (CHANGE_KIND, SWEEP_KIND):
            return await syncs(session, attempt)
        try:
            with reads_for(ReadPurpose.OPTIONAL):
                if attempt.work.kind == CHANGE_KIND:
                    result = await handle_change(deps, attempt, session)
                else:
                    result = await sweep(deps, attempt, session)
        except QuickBooksReadDeferred as deferred:
            return _deferred(attempt, deferred)
        if isinstance(result.error, QuickBooksReadDeferred):
            return _deferred(attempt, result.error)
        return result

    return execute


def _deferred(attempt: Attempt, error: QuickBooksReadDeferred) -> SyncResult:
    work = attempt.work
    return SyncResult(
        work.kind, work.aforo_id, SyncStatus.SKIPPED, SyncAction.SKIP, None, error.message
    )
