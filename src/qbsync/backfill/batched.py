"""Backfills written through QuickBooks' batch endpoint: the job's records stream through a
bounded number of groups of 30 whose creates ride one batch request, after one bulk adoption
index per page (``IN`` queries of 1,000) instead of a look-up per record. A group's records
share one transaction (db/shared.py, as the scheduler's bursts do): one connection, their
locks and states read in two statements, their sync-log rows written together; all of the
group commits or none (a record that raises rolls it back: the job waits for a resume), and
a record that failed for a passing reason is tried again in a later group.

Every record still goes through the engine's own sync (``engine.sync``): the same sync-log
row (with the job's correlation id, so progress reads as before), the same mapping, the same
adopt-on-duplicate; only the create is pooled (``quickbooks.batching``), and a record not in
QuickBooks yet is read from the run's Aforo listing rather than on its own (``listing``).

What keeps the realm's batch window full (docs/quickbooks-cost.md): there is no barrier
between the pages of one kind, so the next page's records are prepared while the current
page's last batches wait for the limiter; the next page's index is read while the current
one runs; and a batch leaves only full (30 creates) or when every record still to write is
waiting on it, never part-filled because a record was slow to get ready: QuickBooks allows
40 batch requests a minute whatever their size. Invoices start once every customer is
written (they need their customers' QuickBooks ids).

Resumable like publishing: the job's ``published`` position moves past a page only when it
and every page before it are fully written (each record's last attempt on record), and a
page run again finds its records mapped, or in the index, or answered from QBO's requestid
replay. Only the very same batch request is replayed, and a retry rides in a batch composed
anew: so each batch's items are recorded before it is sent (``SentBatches``, the ledger the
scheduler's bursts keep), and a create repeated later (this run's retry, a run resumed, the
scheduler's syncs of the record) goes as that batch request again, answered from
the replay store if QuickBooks ran it, not written twice.

The records are written by the process that started the job, paced by that process's
limiter for the realm; why not under the scheduler's realm lease: docs/quickbooks-cost.md.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from qbsync.backfill.listing import Listed, unit_of_work
from qbsync.backfill.models import BackfillJob, BackfillStatus
from qbsync.backfill.service import correlation_prefix, publish
from qbsync.connections import repository as connections
from qbsync.connections.tokens import ensure_usable
from qbsync.db.session import create_sessionmaker
from qbsync.db.shared import SharedSession
from qbsync.errors import QbsyncError
from qbsync.quickbooks.batch import MAX_BATCH_ITEMS
from qbsync.quickbooks.batching import WriteBatcher, pooling_creates, resending
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.resources import Resources
from qbsync.scheduler.sent_batches import SentBatches
from qbsync.sync.adoption import AdoptionIndex, adopting_from, build_index
from qbsync.sync.context import SyncDeps
from qbsync.sync.engine import SyncOptions, sync
from qbsync.sync.mappers.customers import base_display_name, suffixed_display_name
from qbsync.sync.models import EntityType, SyncTrigger
from qbsync.sync.registry import get
from qbsync.sync.repository import prepare_group
from qbsync.sync.results import SyncResult

log = logging.getLogger(__name__)

# Attempts per record, and the pause before the second (then doubled...).
ATTEMPTS = 3
RETRY_AFTER_S = 2.0

# A minute of batch requests (QBO allows 40) a page: the index costs one or two reads per
# page, and progress is saved page by page.
PAGE = 40 * MAX_BATCH_ITEMS

# Records are written in groups of a batch's 30 that share one transaction (db/shared.py),
# so one database connection (their records' locks are held until the group commits). This
# many groups at once: batches get ready while the ones before them wait for their answer or
# for the realm's batch window.
GROUPS = 4
GROUP_SIZE = MAX_BATCH_ITEMS

# Connections besides the groups': a batch's ledger entry is written (and a retry's looked
# up) in a transaction of its own while its group waits on it, for each of the GROUPS
# batches at once; a leader (a record outside the groups) and its look-up.
LEDGER_ROOM = GROUPS + 2

# A batch leaves full, or when every record holding a unit waits on it (or steps aside for
# another's lock), or after this long without a new create (at most four times that): long
# enough for a record to get ready on a busy machine, as a part-filled batch costs a whole
# slot of the realm's batch window.
LINGER_S = 5.0


def _pages(targets: Sequence[dict[str, Any]], start: int) -> list[tuple[int, int]]:
    """(start, end) of each page: at most PAGE targets, all of one kind."""
    pages, position = [], start
    while position < len(targets):
        end = position
        kind = targets[position]["type"]
        while end < len(targets) and end - position < PAGE and targets[end]["type"] == kind:
            end += 1
        pages.append((position, end))
        position = end
    return pages


async def _index(
    qbo: QuickBooksClient, listed: Listed, page: Sequence[dict[str, Any]]
) -> AdoptionIndex:
    """Names or DocNumbers the page's records will be written under, looked up in bulk."""
    if page[0]["type"] == EntityType.CUSTOMER:
        names = []
        for target in page:
            customer = listed.customers.get(str(target["id"]))
            if customer is not None:
                names += [base_display_name(customer), suffixed_display_name(customer)]
        return await build_index(qbo, names=names)
    doc_numbers = []
    for target in page:
        invoice = listed.invoices.get(str(target["id"]))
        if invoice is not None and invoice.invoice_number:
            doc_numbers.append(invoice.invoice_number)
    return await build_index(qbo, doc_numbers=doc_numbers)


@dataclass
class _Page:
    start: int
    end: int
    targets: list[dict[str, Any]]
    index: asyncio.Task[AdoptionIndex]
    left: int = 0  # records whose last attempt is not on record yet
    done: asyncio.Event = field(default_factory=asyncio.Event)
    broken: bool = False  # a record's attempt raised instead of being logged

    def finished_one(self) -> None:
        self.left -= 1
        if self.left == 0:
            self.done.set()


class _Writer:
    """One run of a job: its records, page after page of each kind, as one stream."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        deps: SyncDeps,
        job: BackfillJob,
        listed: Listed,
        qbo: QuickBooksClient,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._deps = listed.serving(deps)
        self._job = job
        self._listed = listed
        self._qbo = qbo
        self._prefix = correlation_prefix(job.id)
        self._gate = asyncio.Semaphore(GROUPS)
        self._starting = 0  # groups admitted that have not taken the gate yet
        self._started = asyncio.Event()
        self._ledger = SentBatches(sessionmaker)
        self.batcher = WriteBatcher(qbo, linger_s=LINGER_S, ledger=self._ledger)
        self._units: set[asyncio.Task[None]] = set()
        self._plans_led: set[int | None] = set()
        self.failure: BaseException | None = None

    def page(self, start: int, end: int, targets: list[dict[str, Any]]) -> _Page:
        """The page, its index read from now on (ahead of its records)."""
        index = asyncio.create_task(_index(self._qbo, self._listed, targets))
        return _Page(start, end, targets, index, left=len(targets))

    async def _sync(
        self, session: AsyncSession, target: dict[str, Any], attempt: int
    ) -> SyncResult:
        kind = get(target["type"])
        options = SyncOptions(
            trigger=SyncTrigger.BACKFILL,
            correlation_id=self._prefix + kind.aforo_id(str(target["id"])),
            attempt=attempt,
            will_retry=attempt < ATTEMPTS,
        )
        with unit_of_work(session, self._job.organization_id, self._qbo.realm_id):
            return await sync(
                session,
                self._deps,
                organization_id=self._job.organization_id,
                kind=kind,
                aforo_id=target["id"],
                options=options,
            )

    async def _alone(self, target: dict[str, Any]) -> None:
        """Until the record is written or failed for good, in transactions of its own. What
        failed for a passing reason (a 5xx, a throttle, an outage) gets the retries a queued
        event would have had; each attempt is logged, the last one as FAILED."""
        for attempt in range(1, ATTEMPTS + 1):
            if attempt > 1:
                await asyncio.sleep(RETRY_AFTER_S * 2 ** (attempt - 2))
            async with self._sessionmaker.begin() as session:
                result = await self._sync(session, target, attempt)
            if result.error is None or not result.error.retryable:
                return

    async def _in_groups(self, index: AdoptionIndex, targets: list[dict[str, Any]]) -> None:
        """``_alone`` for a group's records: each attempt of theirs in one shared
        transaction, the records to try again in the next."""
        for attempt in range(1, ATTEMPTS + 1):
            if attempt > 1:
                await asyncio.sleep(RETRY_AFTER_S * 2 ** (attempt - 2))
            async with self._gate:
                if attempt == 1:
                    self._took_gate()
                targets = await self._group(index, targets, attempt)
            if not targets:
                return

    async def _group(
        self, index: AdoptionIndex, targets: list[dict[str, Any]], attempt: int
    ) -> list[dict[str, Any]]:
        """One attempt of each of ``targets`` (one kind), together; returns those that
        failed for a passing reason. All or nothing: a record that raises (the database
        gone) rolls the group back and the job waits for a resume."""
        kind = get(targets[0]["type"])
        group = SharedSession(**self._sessionmaker.kw)
        async with group, group.begin():
            await prepare_group(
                group,
                organization_id=self._job.organization_id,
                entity_type=kind.entity_type,
                aforo_ids=[kind.aforo_id(kind.parse(target["id"])) for target in targets],
            )
            results = await asyncio.gather(
                *(self._member(group, index, target, attempt) for target in targets),
                return_exceptions=True,
            )
            for result in results:
                if isinstance(result, BaseException):
                    raise result
            await group.flush_deferred()
        return [
            target
            for target, result in zip(targets, results, strict=True)
            if isinstance(result, SyncResult)
            and result.error is not None
            and result.error.retryable
        ]

    async def _member(
        self, group: SharedSession, index: AdoptionIndex, target: dict[str, Any], attempt: int
    ) -> SyncResult:
        # Only records being written take part: a batch leaves when every one of them that
        # can reach its create waits on it.
        with adopting_from(index), pooling_creates(self.batcher), self.batcher.taking_part():
            return await self._sync(group, target, attempt)

    def _took_gate(self) -> None:
        self._starting -= 1
        if self._starting == 0:
            self._started.set()

    async def lead(self, page: _Page) -> None:
        """The page's first invoice of each rate plan not led yet, one at a time and not
        pooled: its item is created under a lock every other invoice of the plan would
        otherwise wait on, while holding back a batch that waits for them."""
        if page.targets[0]["type"] != EntityType.INVOICE:
            return
        leaders = []
        for target in page.targets:
            invoice = self._listed.invoices.get(str(target["id"]))
            if invoice is not None and invoice.rate_plan_id not in self._plans_led:
                self._plans_led.add(invoice.rate_plan_id)
                leaders.append(target)
        if not leaders:
            return
        index = await page.index
        # Alone now, but a run before this one may have sent it in a batch.
        with adopting_from(index), resending(self._ledger):
            for target in leaders:
                await self._alone(target)
                page.finished_one()
        page.targets = [t for t in page.targets if all(t is not lead for lead in leaders)]

    def admit(self, page: _Page) -> None:
        """Start the page's records, in groups of 30; the groups take the gate in order,
        after those admitted before them."""
        index = page.index.result()
        groups = [page.targets[n : n + GROUP_SIZE] for n in range(0, len(page.targets), GROUP_SIZE)]
        self._starting += len(groups)
        if groups:
            self._started.clear()
        for targets in groups:
            task = asyncio.create_task(self._unit(page, index, targets))
            self._units.add(task)
            task.add_done_callback(self._units.discard)

    async def _unit(self, page: _Page, index: AdoptionIndex, targets: list[dict[str, Any]]) -> None:
        try:
            await self._in_groups(index, targets)
        except Exception as exc:  # the database gone: the job waits for a resume
            self.failure = self.failure or exc
            page.broken = True
        finally:
            for _ in targets:
                page.finished_one()

    async def all_started(self) -> None:
        """Until every admitted group has taken the gate: the next page's may queue."""
        if self._starting:
            await self._started.wait()

    async def settle(self) -> None:
        """Until every admitted record is written."""
        while self._units:
            await asyncio.gather(*self._units, return_exceptions=True)

    def stop(self) -> None:
        """The run was stopped (its process shutting down): records in flight roll back."""
        for unit in self._units:
            unit.cancel()


async def _advance(resources: Resources, job_id: int, end: int) -> None:
    async with resources.sessionmaker.begin() as session:
        saved = await session.get(BackfillJob, job_id, with_for_update=True)
        assert saved is not None
        saved.published = max(saved.published, end)
        if saved.published >= saved.total:
            saved.status = BackfillStatus.RUNNING


async def _write_pages(
    resources: Resources, writer: _Writer, job: BackfillJob, pages: list[tuple[int, int]]
) -> None:
    """Admit page after page (one kind after the other), each page's index read while the
    page before it runs; save progress as pages end, in order."""
    if not pages:
        return
    targets = list(job.targets)
    finishing: asyncio.Queue[_Page | None] = asyncio.Queue()

    async def save_progress() -> None:
        while (page := await finishing.get()) is not None:
            await page.done.wait()
            if page.broken:
                return
            await _advance(resources, job.id, page.end)

    saving = asyncio.create_task(save_progress())
    following = writer.page(*pages[0], targets[pages[0][0] : pages[0][1]])
    kind = None
    try:
        failed: Exception | None = None
        try:
            for n in range(len(pages)):
                page = following
                if kind is not None and page.targets[0]["type"] != kind:
                    await writer.settle()  # invoices need their customers written
                kind = page.targets[0]["type"]
                await page.index
                if n + 1 < len(pages):
                    start, end = pages[n + 1]
                    following = writer.page(start, end, targets[start:end])
                await writer.lead(page)
                writer.admit(page)
                finishing.put_nowait(page)
                await writer.all_started()
                if writer.failure is not None:
                    break
        except Exception as exc:  # a look-up failed: what was started still ends and is saved
            failed = exc
        await writer.settle()
        finishing.put_nowait(None)
        await saving
        if failed is not None:
            raise failed
    except asyncio.CancelledError:
        # Stopped (the process shutting down): what is in flight rolls back, as in a crash.
        writer.stop()
        saving.cancel()
        await writer.settle()
        await asyncio.gather(saving, return_exceptions=True)
        raise
    finally:
        _forget(following.index)
    if writer.failure is not None:
        raise writer.failure


def _forget(task: asyncio.Task[Any]) -> None:
    """A look-up read ahead for a page that is not written now."""
    if task.done():
        if not task.cancelled():
            task.exception()
    else:
        task.cancel()


async def write(resources: Resources, job_id: int) -> None:
    """Write the job's records from where it stopped; safe to run again."""
    async with resources.sessionmaker() as session:
        job = await session.get(BackfillJob, job_id)
        if job is None or job.status != BackfillStatus.PUBLISHING:
            return
        connection = await connections.get_connection(session, job.organization_id)
    pages = _pages(job.targets, job.published)
    # Apart from the shared pool: one connection per group being written, and LEDGER_ROOM
    # for what waits on them (the ledger's own transactions, a leader and its look-up).
    # No pre-ping, as in db/session.py.
    engine = create_async_engine(
        resources.settings.db.url, pool_size=GROUPS + LEDGER_ROOM, max_overflow=0
    )
    try:
        try:
            usable = ensure_usable(job.organization_id, connection)
            listed = await Listed.for_job(resources, job, usable.realm_id)
            qbo = resources.sync_deps.quickbooks.client(
                organization_id=job.organization_id, realm_id=usable.realm_id
            )
            writer = _Writer(create_sessionmaker(engine), resources.sync_deps, job, listed, qbo)
            await _write_pages(resources, writer, job, pages)
        except QbsyncError as exc:  # not connected, Aforo down: the job waits for a resume
            log.warning("backfill stopped", extra={"job_id": job_id, "code": exc.code})
            return
    finally:
        await engine.dispose()
    log.info(
        "backfill written",
        extra={"job_id": job_id, "records": len(job.targets), "batches": writer.batcher.batches},
    )


async def run(resources: Resources, job_id: int) -> None:
    """Carry the job on: in batches (the default), or as one queued event per record."""
    if resources.settings.quickbooks.backfill_in_batches:
        await write(resources, job_id)
    else:
        await publish(resources.sessionmaker, resources.publisher, job_id)
