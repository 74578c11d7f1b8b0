"""The scheduler as the rest of a process sees it: enqueue work, wait for a manual sync,
and run the per-realm scheduler loop (``qbsync worker``, and ``qbsync serve`` with consumers)."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.config import SchedulerSettings
from qbsync.db.base import utcnow
from qbsync.quickbooks.limiter import RealmLimiters
from qbsync.scheduler import repository, sent_batches
from qbsync.scheduler.enqueuer import Enqueuer
from qbsync.scheduler.errors import DatabaseUnavailable
from qbsync.scheduler.execution import (
    Attempt,
    Batching,
    Execute,
    is_outage,
    result_from,
)
from qbsync.scheduler.executor import known_details
from qbsync.scheduler.interactive import await_result
from qbsync.scheduler.models import Priority
from qbsync.scheduler.runner import RealmPacing, Scheduler, instance_id
from qbsync.sync.models import SyncTrigger
from qbsync.sync.results import SyncResult

RESULTS_KEPT = timedelta(minutes=10)
# Where batched creates went out: a repeat comes within the retry delays (an hour), or when
# an operator replays parked work, well within this.
SENT_BATCHES_KEPT = timedelta(days=30)


@dataclass(frozen=True)
class Waited:
    work_id: int
    result: SyncResult | None  # None: still queued after ``manual_wait_s``


@dataclass
class Scheduling:
    sessionmaker: async_sessionmaker[AsyncSession]
    execute: Execute
    limiters: RealmLimiters
    settings: SchedulerSettings
    # Bursts of one kind share batch requests (None: every work sends its own requests).
    batching: Batching | None = None
    holder: str = field(default_factory=instance_id)
    scheduler: Scheduler | None = None
    # The token of a person waiting here, for the attempt that runs in this process: Aforo's
    # services see the person's own token, as before the scheduler (elsewhere: a service token).
    _caller_tokens: dict[int, str] = field(default_factory=dict, repr=False)
    # People waiting here for a result: told as soon as an attempt here settles.
    _settled: dict[int, asyncio.Event] = field(default_factory=dict, repr=False)
    _enqueuer: Enqueuer | None = field(default=None, repr=False)

    @property
    def max_attempts(self) -> int:
        return len(self.settings.retry_delays_s) + 1

    def wake(self) -> None:
        """New work was committed: the local loop looks now rather than at its next poll."""
        if self.scheduler is not None:
            self.scheduler.wake()

    def request(
        self,
        *,
        organization_id: int,
        kind: str,
        aforo_id: str,
        priority: Priority,
        trigger: str,
        correlation_id: str | None = None,
        known: object | None = None,
    ) -> repository.WorkRequest:
        """A request with this process's retry policy: a person waiting gets one attempt
        (they see the answer), anything else every retry step."""
        return repository.WorkRequest(
            organization_id=organization_id,
            kind=kind,
            aforo_id=aforo_id,
            priority=priority,
            trigger=trigger,
            max_attempts=1 if priority == Priority.INTERACTIVE else self.max_attempts,
            correlation_id=correlation_id,
            details=known_details(known),
        )

    async def submit(self, request: repository.WorkRequest) -> repository.Enqueued:
        """Enqueue (committed when this returns, in one transaction with whatever else is
        being enqueued at the same moment), then wake the local loop. Raises
        ``DatabaseUnavailable`` when Postgres is away."""
        if self._enqueuer is None:
            self._enqueuer = Enqueuer(self.sessionmaker, on_committed=self._committed)
        return await self._enqueuer.submit(request)

    def _committed(self, request: repository.WorkRequest, queued: repository.Enqueued) -> None:
        if self.scheduler is not None:
            self.scheduler.work_for(queued.lane, urgent=request.priority == Priority.INTERACTIVE)

    async def wait_for(
        self, request: repository.WorkRequest, *, caller_token: str | None = None
    ) -> Waited:
        """Queue ``request`` ahead of everything else of its realm and wait for its result
        (``result`` None: not within ``manual_wait_s``; it stays queued and runs later)."""
        request = dataclasses.replace(request, keep_result=True)
        try:
            async with self.sessionmaker.begin() as session:
                queued = await repository.enqueue(session, request)
        except Exception as exc:
            if is_outage(exc):
                raise DatabaseUnavailable(f"database unavailable: {type(exc).__name__}") from exc
            raise
        if caller_token is not None:
            self._caller_tokens[queued.work_id] = caller_token
        settled = self._settled.setdefault(queued.work_id, asyncio.Event())
        self._committed(request, queued)
        try:
            document = await await_result(
                self.sessionmaker,
                queued,
                execute=self._execute,
                pacing=RealmPacing(self.limiters, lease_s=self.settings.lease_s),
                settings=self.settings,
                holder=f"{self.holder}:api",
                local=self.scheduler,
                settled=settled,
            )
            return Waited(queued.work_id, result_from(document) if document else None)
        finally:
            self._caller_tokens.pop(queued.work_id, None)
            self._settled.pop(queued.work_id, None)

    async def sync_for_person(
        self, *, organization_id: int, kind: str, aforo_id: str, caller_token: str | None
    ) -> Waited:
        """A person asked (manual sync, forced resync): one attempt at the top priority, with
        their token for the Aforo reads, waited for."""
        request = self.request(
            organization_id=organization_id,
            kind=kind,
            aforo_id=aforo_id,
            priority=Priority.INTERACTIVE,
            trigger=SyncTrigger.MANUAL,
        )
        return await self.wait_for(request, caller_token=caller_token)

    async def _execute(self, session: AsyncSession, attempt: Attempt) -> SyncResult:
        token = self._caller_tokens.get(attempt.work.id)
        if token is not None:
            attempt = dataclasses.replace(attempt, caller_token=token)
        return await self.execute(session, attempt)

    def _on_settled(self, work_id: int) -> None:
        waiting = self._settled.get(work_id)
        if waiting is not None:
            waiting.set()

    def start_scheduler(self) -> Scheduler:
        self.scheduler = Scheduler(
            sessionmaker=self.sessionmaker,
            execute=self._execute,
            limiters=self.limiters,
            settings=self.settings,
            holder=self.holder,
            on_settled=self._on_settled,
            batching=self.batching,
        )
        return self.scheduler

    async def purge_results(self) -> int:
        """Manual syncs' results nobody waits for any more, and old batch ledger rows."""
        async with self.sessionmaker.begin() as session:
            await sent_batches.purge(session, older_than=utcnow() - SENT_BATCHES_KEPT)
            return await repository.purge_results(session, older_than=utcnow() - RESULTS_KEPT)
