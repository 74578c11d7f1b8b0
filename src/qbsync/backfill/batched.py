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
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

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

log = logging.getLogger(__name__)

# Ten batch requests a page: the index costs one read per kind per page.
PAGE = 10 * MAX_BATCH_ITEMS
# Aforo reads for the index, at once.
AFORO_CONCURRENCY = 10


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
    deps: SyncDeps, qbo: Any, organization_id: int, page: Sequence[dict[str, Any]]
) -> tuple[AdoptionIndex, list[dict[str, Any]]]:
    """Names or DocNumbers the page's records will be written under, looked up in bulk; and
    the page's first invoice of each rate plan, to run ahead (its item is created under a
    lock every other invoice of the plan would otherwise wait on, one at a time)."""
    gate = asyncio.Semaphore(AFORO_CONCURRENCY)
    kind = page[0]["type"]
    plans: dict[int | None, dict[str, Any]] = {}

    async def names(target: dict[str, Any]) -> list[str]:
        async with gate:
            if kind == EntityType.CUSTOMER:
                customer = await deps.aforo.orgs.get_customer(
                    int(target["id"]), org_id=organization_id
                )
                return [base_display_name(customer), suffixed_display_name(customer)]
            invoice = await deps.aforo.billing.get_invoice(
                int(target["id"]), org_id=organization_id
            )
            plans.setdefault(invoice.rate_plan_id, target)
            return [invoice.invoice_number] if invoice.invoice_number else []

    found = await asyncio.gather(*(names(t) for t in page), return_exceptions=True)
    values = [v for result in found if isinstance(result, list) for v in result]
    if kind == EntityType.CUSTOMER:
        return await build_index(qbo, names=values), []
    return await build_index(qbo, doc_numbers=values), list(plans.values())


async def _run_page(
    sessionmaker: async_sessionmaker[AsyncSession],
    deps: SyncDeps,
    job: BackfillJob,
    page: Sequence[dict[str, Any]],
) -> None:
    async with sessionmaker() as session:
        connection = ensure_usable(
            job.organization_id, await connections.get_connection(session, job.organization_id)
        )
    qbo = deps.quickbooks.client(organization_id=job.organization_id, realm_id=connection.realm_id)
    index, leaders = await _index(deps, qbo, job.organization_id, page)
    batcher = WriteBatcher(qbo)
    gate = asyncio.Semaphore(MAX_BATCH_ITEMS)
    prefix = correlation_prefix(job.id)

    async def one(target: dict[str, Any]) -> None:
        kind = get(target["type"])
        options = SyncOptions(
            trigger=SyncTrigger.BACKFILL,
            correlation_id=prefix + kind.aforo_id(str(target["id"])),
        )
        # Taking part from the start: a batch waits for the units still getting a connection.
        with batcher.taking_part():
            async with gate, sessionmaker.begin() as session:
                await sync(
                    session,
                    deps,
                    organization_id=job.organization_id,
                    kind=kind,
                    aforo_id=target["id"],
                    options=options,
                )

    with adopting_from(index), pooling_creates(batcher):
        for leader in leaders:
            await one(leader)
        rest = [target for target in page if all(target is not lead for lead in leaders)]
        await asyncio.gather(*(one(target) for target in rest))
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
    try:
        for start, end in _pages(targets, position):
            try:
                await _run_page(sessionmaker, resources.sync_deps, job, targets[start:end])
            except QbsyncError as exc:  # not connected any more: the job waits for a resume
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
