"""One attempt of one piece of pending work: the sync and its settlement commit together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.db.shared import SharedSession
from qbsync.errors import QbsyncError
from qbsync.metrics import WORK_RUNS
from qbsync.quickbooks.batching import WriteBatcher
from qbsync.scheduler import repository
from qbsync.scheduler.errors import DatabaseUnavailable, RecordedError
from qbsync.scheduler.models import PendingWork
from qbsync.sync.attempts import record
from qbsync.sync.context import LogScope
from qbsync.sync.models import SyncAction, SyncStatus, SyncTrigger
from qbsync.sync.results import SyncResult

log = logging.getLogger(__name__)


def is_outage(exc: BaseException) -> bool:
    """A database error that says Postgres is away, not that our data or SQL is wrong."""
    if isinstance(exc, IntegrityError | DataError):
        return False
    return isinstance(exc, DBAPIError | PoolTimeout | OSError | TimeoutError)


class Settled(StrEnum):
    DONE = "done"
    RETRY = "retry"
    PARKED = "parked"


class ParkReason(StrEnum):
    PERMANENT_ERROR = "permanent_error"  # the sync failed in a way a retry cannot fix
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"  # retryable, but every attempt was used
    UNEXPECTED_ERROR = "unexpected_error"  # the sync raised something else: a bug
    CRASHED = "crashed"  # taken again and again without an outcome: it kills its process


@dataclass(frozen=True)
class Attempt:
    work: PendingWork
    number: int  # 1-based
    will_retry: bool  # a retryable failure of this attempt is tried again later
    # The token of a person waiting in this process, for Aforo's services to see.
    caller_token: str | None = field(default=None, repr=False)

    @property
    def trigger(self) -> SyncTrigger:
        if self.number > 1:
            return SyncTrigger.RETRY
        try:
            return SyncTrigger(self.work.trigger)
        except ValueError:
            return SyncTrigger.EVENT


Execute = Callable[[AsyncSession, Attempt], Awaitable[SyncResult]]


class Batching(Protocol):
    """How bursts of one kind share batch requests (``runner.Scheduler._next``)."""

    def batcher(self, work: PendingWork) -> WriteBatcher | None:
        """Pools the creates of a burst of ``work``'s organization and kind (its realm);
        None: that kind is not grouped."""

    def depends_on(self, kind: str) -> tuple[str, ...]:
        """The kinds whose records a record of ``kind`` needs in QuickBooks first."""

    async def prepare(self, session: SharedSession, works: Sequence[PendingWork]) -> None:
        """Read ahead, in bulk, what each member of a group (``works``, of one organization
        and kind) reads first (``run_group``)."""

    def repeating(self) -> AbstractContextManager[None]:
        """Around every work that is not grouped: a create that went out in a batch (by
        an earlier attempt, or an earlier row of the same record) goes out as that batch
        request again."""


def result_document(result: SyncResult) -> dict[str, Any]:
    """An attempt's result as a waiting manual caller reads it back (``result_from``)."""
    error = result.error
    return {
        "entityType": result.entity_type,
        "aforoId": result.aforo_id,
        "status": result.status,
        "action": result.action,
        "quickbooksId": result.quickbooks_id,
        "message": result.message,
        "logId": result.log_id,
        "error": None
        if error is None
        else {
            "code": error.code,
            "statusCode": error.status_code,
            "retryable": error.retryable,
            "category": error.category,
            "message": error.message,
        },
    }


def result_from(document: dict[str, Any]) -> SyncResult:
    error = document.get("error")
    return SyncResult(
        document["entityType"],
        document["aforoId"],
        SyncStatus(document["status"]),
        SyncAction(document["action"]),
        document.get("quickbooksId"),
        document["message"],
        document.get("logId"),
        None
        if error is None
        else RecordedError(
            error["message"],
            code=error["code"],
            status_code=error["statusCode"],
            retryable=error["retryable"],
            category=error["category"],
        ),
    )


def _error(result: SyncResult) -> tuple[str, str, str]:
    assert result.error is not None
    return result.error.code, result.error.category, result.message


def retry_delay(delays: Sequence[float], attempt: int, error: QbsyncError) -> float:
    """Seconds before the retry of attempt number ``attempt``, which failed with ``error``."""
    delay = delays[min(attempt, len(delays)) - 1] if delays else 0.0
    if attempt == 1 and error.first_retry_s is not None:
        return min(delay, error.first_retry_s)
    return delay


async def settle(
    session: AsyncSession,
    work: PendingWork,
    result: SyncResult,
    *,
    attempt: int,
    delays: Sequence[float],
) -> Settled:
    kept = result_document(result) if work.keep_result else None
    if result.error is None or result.status == SyncStatus.SKIPPED:
        await repository.finish(session, work, result=kept)
        return Settled.DONE
    if work.max_attempts <= 1:
        # Only a person asked, and they have the answer; nothing retries a manual sync.
        await repository.finish(session, work, result=kept)
        return Settled.DONE
    if attempt < work.max_attempts and result.error.retries_after(attempt):
        await repository.retry_later(
            session,
            work,
            delay_s=retry_delay(delays, attempt, result.error),
            log_id=result.log_id,
            error=_error(result),
            result=kept,
        )
        return Settled.RETRY
    reason = ParkReason.ATTEMPTS_EXHAUSTED if result.error.retryable else ParkReason.PERMANENT_ERROR
    await repository.park(
        session, work.id, reason=reason, error=_error(result), log_id=result.log_id
    )
    if kept is not None:
        await repository.put_result(session, work.id, kept)
    return Settled.PARKED


async def run_attempt(
    sessionmaker: async_sessionmaker[AsyncSession],
    execute: Execute,
    work: PendingWork,
    *,
    delays: Sequence[float],
) -> Settled:
    """Run ``work`` once. The sync's writes, its sync-log row and the work's new state commit
    in one transaction, so a crash anywhere leaves the work RUNNING for the next holder of
    the realm to retry (the ``requestid`` rules make the repeat harmless). Raises
    ``DatabaseUnavailable`` when Postgres is away: then nothing is counted."""
    number = work.attempts + 1
    attempt = Attempt(work, number, will_retry=number < work.max_attempts)
    try:
        async with sessionmaker.begin() as session:
            result = await execute(session, attempt)
            settled = await settle(session, work, result, attempt=number, delays=delays)
    except Exception as exc:
        if is_outage(exc):
            raise DatabaseUnavailable(f"database unavailable: {type(exc).__name__}") from exc
        log.error("sync raised an unexpected error; work parked", exc_info=True)
        settled = await _park_bug(sessionmaker, attempt, exc)
    WORK_RUNS.labels(work.kind, settled).inc()
    return settled


class GroupFailed(Exception):
    """A group's shared transaction rolled back: each member's outcome is undone."""

    def __init__(self, bugs: dict[int, Exception], outage: bool) -> None:
        super().__init__(f"{len(bugs)} member(s) raised; outage: {outage}")
        self.bugs = bugs  # by work id: members that raised something other than an outage
        self.outage = outage


async def run_group(
    sessionmaker: async_sessionmaker[AsyncSession],
    execute: Execute,
    works: Sequence[PendingWork],
    *,
    delays: Sequence[float],
    joining: Callable[[], AbstractContextManager[None]],
    prepare: Callable[[SharedSession, Sequence[PendingWork]], Awaitable[None]] | None = None,
) -> dict[int, Settled]:
    """Run each of ``works`` once, concurrently, in one shared transaction (db/shared.py):
    each member's sync, sync-log row and settlement as ``run_attempt`` writes them, and one
    commit for all. Each member runs inside ``joining()`` (its part in the group's batches);
    ``prepare`` first reads ahead what the members read first (``Batching.prepare``).

    All or nothing: when a member raises, the transaction rolls back and nothing of the
    group is kept. Members that raised something other than a database outage are parked as
    ``run_attempt`` parks them (``GroupFailed.bugs``); the others run again later, alone,
    and their creates are answered from the batches' replay (the sent-batch ledger)."""
    settled: dict[int, Settled] = {}
    session = SharedSession(**sessionmaker.kw)
    try:
        async with session, session.begin():
            if prepare is not None:
                await prepare(session, works)
            members = [
                asyncio.create_task(_member(session, execute, work, delays, joining))
                for work in works
            ]
            outcomes = await asyncio.gather(*members, return_exceptions=True)
            raised = {
                work.id: outcome
                for work, outcome in zip(works, outcomes, strict=True)
                if isinstance(outcome, BaseException)
            }
            if raised:
                raise _failed(raised)
            for work, outcome in zip(works, outcomes, strict=True):
                settled[work.id] = outcome  # type: ignore[assignment]
            await session.flush_deferred()
    except GroupFailed:
        raise
    except Exception as exc:
        if is_outage(exc):
            raise DatabaseUnavailable(f"database unavailable: {type(exc).__name__}") from exc
        raise _failed({work.id: exc for work in works}) from exc
    for work in works:
        WORK_RUNS.labels(work.kind, settled[work.id]).inc()
    return settled


def _failed(raised: dict[int, BaseException]) -> GroupFailed:
    for exc in raised.values():
        if isinstance(exc, asyncio.CancelledError):
            raise exc
    bugs = {
        work_id: exc
        for work_id, exc in raised.items()
        if isinstance(exc, Exception) and not is_outage(exc)
    }
    return GroupFailed(bugs, outage=len(bugs) < len(raised))


async def _member(
    session: AsyncSession,
    execute: Execute,
    work: PendingWork,
    delays: Sequence[float],
    joining: Callable[[], AbstractContextManager[None]],
) -> Settled:
    number = work.attempts + 1
    attempt = Attempt(work, number, will_retry=number < work.max_attempts)
    with joining():
        result = await execute(session, attempt)
    return await settle(session, work, result, attempt=number, delays=delays)


async def park_bugs(
    sessionmaker: async_sessionmaker[AsyncSession],
    works: Sequence[PendingWork],
    bugs: dict[int, Exception],
) -> None:
    """The members of a failed group that raised a bug: parked as ``run_attempt`` would."""
    for work in works:
        exc = bugs.get(work.id)
        if exc is not None:
            log.error("sync raised an unexpected error; work parked", exc_info=exc)
            await _park_bug(sessionmaker, Attempt(work, work.attempts + 1, False), exc)
            WORK_RUNS.labels(work.kind, Settled.PARKED).inc()


async def _park_bug(
    sessionmaker: async_sessionmaker[AsyncSession], attempt: Attempt, exc: Exception
) -> Settled:
    work = attempt.work
    error = QbsyncError(f"unexpected {type(exc).__name__}: {exc}"[:500])
    try:
        async with sessionmaker.begin() as session:
            scope = LogScope(
                work.organization_id, None, attempt.trigger, attempt.number, work.correlation_id
            )
            entry = await record(
                session,
                scope,
                entity_type=work.kind,
                aforo_id=work.aforo_id,
                status=SyncStatus.FAILED,
                action=SyncAction.NONE,
                error=error,
            )
            await repository.park(
                session,
                work.id,
                reason=ParkReason.UNEXPECTED_ERROR,
                error=(type(exc).__name__, "PERMANENT", error.message),
                log_id=entry.id,
            )
    except Exception as again:
        if is_outage(again):
            raise DatabaseUnavailable(f"database unavailable: {type(again).__name__}") from again
        raise
    return Settled.PARKED


async def park_crashed(session: AsyncSession, work: PendingWork) -> None:
    await repository.park(
        session,
        work.id,
        reason=ParkReason.CRASHED,
        error=("crashed", "PERMANENT", f"taken {work.claims} times without an outcome"),
        counted=False,
    )
