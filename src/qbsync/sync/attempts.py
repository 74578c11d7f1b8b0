"""One sync attempt of one entity: lock it, do the work, and log the outcome either way."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.aforo.errors import AforoNotReady
from qbsync.db.base import utcnow
from qbsync.errors import ErrorCategory, QbsyncError
from qbsync.logging import log_context
from qbsync.metrics import SYNCS
from qbsync.sync import sync_log
from qbsync.sync.context import LogScope, SyncContext
from qbsync.sync.hints import error_code, hint_for
from qbsync.sync.models import SyncAction, SyncLog, SyncStatus
from qbsync.sync.redact import redact
from qbsync.sync.repository import LatestAttempt
from qbsync.sync.results import SyncResult, Written

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[Written]]


def failure_status(error: QbsyncError, *, will_retry: bool, attempt: int = 1) -> SyncStatus:
    if error.category == ErrorCategory.NOT_CONNECTED:
        return SyncStatus.SKIPPED
    return SyncStatus.RETRYING if will_retry and error.retries_after(attempt) else SyncStatus.FAILED


async def record(
    session: AsyncSession,
    scope: LogScope,
    *,
    entity_type: str,
    aforo_id: str,
    status: SyncStatus,
    action: SyncAction,
    quickbooks_id: str | None = None,
    error: QbsyncError | None = None,
    request: object = None,
    response: object = None,
    duration_ms: int | None = None,
    intuit_tid: str | None = None,
    note: str | None = None,
) -> SyncLog:
    SYNCS.labels(entity_type, status, error.category if error else "").inc()
    return await sync_log.write(
        session,
        organization_id=scope.organization_id,
        realm_id=scope.realm_id,
        entity_type=entity_type,
        aforo_id=aforo_id,
        quickbooks_id=quickbooks_id,
        action=action,
        status=status,
        trigger=scope.trigger,
        attempt=scope.attempt,
        error_code=error_code(error) if error else None,
        error_category=error.category if error else None,
        error_message=_message(error) if error else note,
        intuit_tid=getattr(error, "intuit_tid", None) or intuit_tid,
        request_payload=redact(request),  # type: ignore[arg-type]
        response_payload=redact(response),  # type: ignore[arg-type]
        duration_ms=duration_ms,
        correlation_id=scope.correlation_id,
    )


def _message(error: QbsyncError) -> str:
    hint = hint_for(error)
    return f"{error.message} — {hint}" if hint else error.message


# How long an Aforo "not found" chain counts as waiting for its next retry: longer than the
# gap between its retries (5 s, then 30 s, with the default delays).
NOT_FOUND_CHAIN_S = 120.0


def _chain_waiting(ctx: SyncContext, latest: LatestAttempt | None) -> LatestAttempt | None:
    """Another event's retry chain already waits out Aforo's "not found" for this record:
    a second webhook for an invoice metering does not know must not start a second chain."""
    if ctx.attempt != 1 or not ctx.will_retry:
        return None
    if (
        latest is None
        or latest.status != SyncStatus.RETRYING
        or latest.error_code != AforoNotReady.code
        or latest.correlation_id == ctx.correlation_id
        or (utcnow() - latest.created_at).total_seconds() > NOT_FOUND_CHAIN_S
    ):
        return None
    return latest


async def _coalesce(
    ctx: SyncContext, waiting: LatestAttempt, *, entity_type: str, aforo_id: str
) -> SyncResult:
    message = (
        f"already waiting for Aforo to know it: attempt {waiting.id} of event "
        f"{waiting.correlation_id} retries it"
    )
    entry = await record(
        ctx.session,
        ctx.scope,
        entity_type=entity_type,
        aforo_id=aforo_id,
        status=SyncStatus.SKIPPED,
        action=SyncAction.SKIP,
        note=message,
    )
    return SyncResult(
        entity_type, aforo_id, SyncStatus.SKIPPED, SyncAction.SKIP, None, message, entry.id, None
    )


async def run_attempt(
    ctx: SyncContext, *, entity_type: str, aforo_id: str, work: Work
) -> SyncResult:
    """Serialize on the entity, run ``work`` and write one sync-log row for the outcome."""
    try:
        return await _attempt(ctx, entity_type=entity_type, aforo_id=aforo_id, work=work)
    finally:
        ctx.release(entity_type, aforo_id)


async def _attempt(ctx: SyncContext, *, entity_type: str, aforo_id: str, work: Work) -> SyncResult:
    with log_context(
        entity=entity_type, aforo_id=aforo_id, org_id=ctx.organization_id, realm_id=ctx.realm_id
    ):
        started = time.perf_counter()
        try:
            # Inside: a lock another sync kept too long (RecordBusy, in a shared
            # transaction) is this attempt's retryable failure, logged as any other.
            await ctx.lock(entity_type, aforo_id)
            state = await ctx.read_state(entity_type, aforo_id)
            waiting = _chain_waiting(ctx, state.latest)
            if waiting is not None:
                return await _coalesce(ctx, waiting, entity_type=entity_type, aforo_id=aforo_id)
            written = await work()
        except QbsyncError as error:
            elapsed = int((time.perf_counter() - started) * 1000)
            status = failure_status(error, will_retry=ctx.will_retry, attempt=ctx.attempt)
            entry = await record(
                ctx.session,
                ctx.scope,
                entity_type=entity_type,
                aforo_id=aforo_id,
                status=status,
                action=SyncAction.NONE,
                error=error,
                duration_ms=elapsed,
                intuit_tid=ctx.qbo.last_intuit_tid,
            )
            log.info("sync failed", extra={"code": error_code(error), "retryable": error.retryable})
            return SyncResult(
                entity_type,
                aforo_id,
                status,
                SyncAction.NONE,
                None,
                entry.error_message or error.message,
                entry.id,
                error,
            )
        elapsed = int((time.perf_counter() - started) * 1000)
        status = SyncStatus.SKIPPED if written.action == SyncAction.SKIP else SyncStatus.SUCCESS
        entry = await record(
            ctx.session,
            ctx.scope,
            entity_type=entity_type,
            aforo_id=aforo_id,
            status=status,
            action=written.action,
            quickbooks_id=written.quickbooks_id,
            request=written.request,
            response=written.response,
            duration_ms=elapsed,
            intuit_tid=ctx.qbo.last_intuit_tid,
            note=written.note,
        )
        log.info("sync done", extra={"action": written.action, "qbo_id": written.quickbooks_id})
        return SyncResult(
            entity_type,
            aforo_id,
            status,
            written.action,
            written.quickbooks_id,
            written.message,
            entry.id,
        )
