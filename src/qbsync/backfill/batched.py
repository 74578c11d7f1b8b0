"""Backfills written through QuickBooks' batch endpoint: each page of one kind is synced by
concurrent units of work whose creates ride 30 to a batch request, after one bulk adoption
index per page (``IN`` queries of 1,000) instead of a look-up per record.

Every record still goes through the engine's own sync (``engine.sync``): the same sync-log
row (with the job's correlation id, so progress reads as before), the same mapping, the same
adopt-on-duplicate; only the create is pooled (``quickbooks.batching``). Resumable like
publishing: the job's ``published`` position moves on after each page, and a page run again
finds its records mapped, or in the index, or answered from QBO's requestid replay.

The pages run in the process that started the job, paced by that process's limiter for the
realm (docs/quickbooks-cost.md: until the scheduler batches a lease's same-kind work, a
worker syncing the same realm meanwhile shares its limits only through 429 back-off).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from qbsync.aforo.billing import AforoInvoice
from qbsync.aforo.orgs import AforoCustomer
from qbsync.backfill.models import BackfillJob, BackfillStatus
from qbsync.backfill.service import correlation_prefix, publish
from qbsync.connections import repository as connections
from qbsync.connections.tokens import ensure_usable
from qbsync.db.session import create_sessionmaker
from qbsync.errors import QbsyncError
from qbsync.quickbooks.batch import MAX_BATCH_ITEMS
from qbsync.quickbooks.batching import WriteBatcher, pooling_creates
from qbsync.resources import Resources
from qbsync.sync.adoption import AdoptionIndex, adopting_from, build_index
from qbsync.sync.context import SyncDeps
from qbsync.sync.engine import SyncOptions, sync
from qbsync.sync.mappers.customers import base_display_name, suffixed_display_name
from qbsync.sync.models import EntityType, SyncTrigger
from qbsync.sync.registry import get
from qbsync.sync.results import SyncResult

log = logging.getLogger(__name__)

# Attempts per record within a page run, and the pause before the second (then doubled...).
ATTEMPTS = 3
RETRY_AFTER_S = 2.0

# A minute of batch requests (QBO allows 40) a page: fewer part-filled batches at page
# ends, and the index costs one or two reads per page.
PAGE = 40 * MAX_BATCH_ITEMS


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


@dataclass
class _Listed:
    """The organization's records as Aforo lists them, read once per job (two requests)
    instead of once per record, for the pages' bulk look-ups."""

    customers: dict[str, AforoCustomer]
    invoices: dict[str, AforoInvoice]

    @classmethod
    async def read(cls, deps: SyncDeps, organization_id: int) -> _Listed:
        customers = await deps.aforo.orgs.list_active_customers(org_id=organization_id)
        invoices = await deps.aforo.billing.list_invoices(org_id=organization_id)
        return cls({str(c.customer_id): c for c in customers}, {str(i.id): i for i in invoices})


async def _index(
    qbo: Any, listed: _Listed, page: Sequence[dict[str, Any]]
) -> tuple[AdoptionIndex, list[dict[str, Any]]]:
    """Names or DocNumbers the page's records will be written under, looked up in bulk; and
    the page's first invoice of each rate plan, to run ahead (its item is created under a
    lock every other invoice of the plan would otherwise wait on, one at a time)."""
    if page[0]["type"] == EntityType.CUSTOMER:
        names = []
        for target in page:
            customer = listed.customers.get(str(target["id"]))
            if customer is not None:
                names += [base_display_name(customer), suffixed_display_name(customer)]
        return await build_index(qbo, names=names), []
    plans: dict[int | None, dict[str, Any]] = {}
    doc_numbers = []
    for target in page:
        invoice = listed.invoices.get(str(target["id"]))
        if invoice is not None:
            plans.setdefault(invoice.rate_plan_id, target)
            if invoice.invoice_number:
                doc_numbers.append(invoice.invoice_number)
    return await build_index(qbo, doc_numbers=doc_numbers), list(plans.values())


async def _run_page(
    sessionmaker: async_sessionmaker[AsyncSession],
    deps: SyncDeps,
    job: BackfillJob,
    listed: _Listed,
    page: Sequence[dict[str, Any]],
) -> None:
    async with sessionmaker() as session:
        connection = ensure_usable(
            job.organization_id, await connections.get_connection(session, job.organization_id)
        )
    qbo = deps.quickbooks.client(organization_id=job.organization_id, realm_id=connection.realm_id)
    index, leaders = await _index(qbo, listed, page)
    batcher = WriteBatcher(qbo)
    gate = asyncio.Semaphore(MAX_BATCH_ITEMS)
    prefix = correlation_prefix(job.id)

    async def one(target: dict[str, Any], attempt: int = 1) -> SyncResult:
        kind = get(target["type"])
        options = SyncOptions(
            trigger=SyncTrigger.BACKFILL,
            correlation_id=prefix + kind.aforo_id(str(target["id"])),
            attempt=attempt,
            will_retry=attempt < ATTEMPTS,
        )
        # Taking part from the start: a batch waits for the units still getting a connection.
        with batcher.taking_part():
            async with gate, sessionmaker.begin() as session:
                return await sync(
                    session,
                    deps,
                    organization_id=job.organization_id,
                    kind=kind,
                    aforo_id=target["id"],
                    options=options,
                )

    with adopting_from(index), pooling_creates(batcher):
        results = [await one(leader) for leader in leaders]
        rest = [target for target in page if all(target is not lead for lead in leaders)]
        results += await asyncio.gather(*(one(target) for target in rest))
        # What failed for a passing reason (a 5xx, a throttle, an outage) gets the retries a
        # queued event would have had; each attempt is logged, the last one as FAILED.
        targets = [*leaders, *rest]
        for attempt in range(2, ATTEMPTS + 1):
            again = [
                target
                for target, result in zip(targets, results, strict=True)
                if result.error is not None and result.error.retryable
            ]
            if not again:
                break
            await asyncio.sleep(RETRY_AFTER_S * (attempt - 1))
            targets, results = (
                again,
                list(await asyncio.gather(*(one(target, attempt) for target in again))),
            )
    log.info(
        "backfill page written",
        extra={
            "job_id": job.id,
            "records": len(page),
            "batches": batcher.batches,
            "index_reads": index.reads,
        },
    )


async def write(resources: Resources, job_id: int) -> None:
    """Write the job's records page by page from where it stopped; safe to run again."""
    async with resources.sessionmaker() as session:
        job = await session.get(BackfillJob, job_id)
        if job is None or job.status != BackfillStatus.PUBLISHING:
            return
        targets, position = list(job.targets), job.published
    # One connection per concurrent unit of work of a page, apart from the shared pool.
    engine = create_async_engine(
        resources.settings.db.url, pool_size=MAX_BATCH_ITEMS, max_overflow=4, pool_pre_ping=True
    )
    sessionmaker = create_sessionmaker(engine)
    listed: _Listed | None = None
    try:
        for start, end in _pages(targets, position):
            try:
                listed = listed or await _Listed.read(resources.sync_deps, job.organization_id)
                await _run_page(sessionmaker, resources.sync_deps, job, listed, targets[start:end])
            except QbsyncError as exc:  # not connected, Aforo down: the job waits for a resume
                log.warning("backfill page failed", extra={"job_id": job_id, "code": exc.code})
                return
            async with resources.sessionmaker.begin() as session:
                saved = await session.get(BackfillJob, job_id, with_for_update=True)
                assert saved is not None
                saved.published = max(saved.published, end)
                if saved.published >= saved.total:
                    saved.status = BackfillStatus.RUNNING
    finally:
        await engine.dispose()
    log.info("backfill written", extra={"job_id": job_id, "records": len(targets)})


async def run(resources: Resources, job_id: int) -> None:
    """Carry the job on: in batches (the default), or as one queued event per record."""
    if resources.settings.quickbooks.backfill_in_batches:
        await write(resources, job_id)
    else:
        await publish(resources.sessionmaker, resources.publisher, job_id)
