"""Plan a backfill, publish its events (resumably), and read its progress from the sync log.

Each event carries the correlation id ``bf-<job>-<aforo id>``; the consumers write it on
every sync-log row, so progress needs no state of its own and survives any restart."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.aforo.billing import AforoInvoice
from qbsync.backfill.models import BackfillJob, BackfillStatus
from qbsync.errors import InvalidInput, NotFound, QbsyncError
from qbsync.events.publisher import Publisher
from qbsync.sync import sync_log
from qbsync.sync.context import AforoClients
from qbsync.sync.models import EntityType, SyncTrigger
from qbsync.sync.registry import get
from qbsync.sync.sync_log import Outcomes

log = logging.getLogger(__name__)

ENTITY_NAMES = {"customers": EntityType.CUSTOMER, "invoices": EntityType.INVOICE}
# Progress is saved every this many events; a resume re-publishes at most this many
# (harmless: the engine skips what is already synced).
SAVE_EVERY = 25


def correlation_prefix(job_id: int) -> str:
    return f"bf-{job_id}-"


def parse_entities(names: list[str]) -> list[EntityType]:
    try:
        entities = [ENTITY_NAMES[name.lower()] for name in names]
    except KeyError:
        raise InvalidInput("entities must be 'customers' and/or 'invoices'") from None
    if len(set(entities)) != len(entities):
        raise InvalidInput("entities names the same kind twice")
    return entities


def _in_range(invoice: AforoInvoice, date_from: datetime | None, date_to: datetime | None) -> bool:
    when = invoice.billing_period_end or invoice.created_at
    if when is None:
        return date_from is None and date_to is None
    return (date_from is None or when >= date_from) and (date_to is None or when < date_to)


async def plan(
    aforo: AforoClients,
    *,
    organization_id: int,
    entities: list[EntityType],
    date_from: datetime | None,
    date_to: datetime | None,
    caller_token: str | None,
) -> list[dict[str, Any]]:
    """Every target, in dependency order: customers first, then invoices oldest first."""
    targets: list[dict[str, Any]] = []
    if EntityType.CUSTOMER in entities:
        customers = await aforo.orgs.list_active_customers(
            org_id=organization_id, caller_token=caller_token
        )
        targets += [{"type": EntityType.CUSTOMER, "id": str(c.customer_id)} for c in customers]
    if EntityType.INVOICE in entities:
        invoices = await aforo.billing.list_invoices(
            org_id=organization_id, caller_token=caller_token
        )
        chosen = [i for i in reversed(invoices) if _in_range(i, date_from, date_to)]
        targets += [
            {"type": EntityType.INVOICE, "id": str(i.id), "customerId": i.customer_id}
            for i in chosen
        ]
    return targets


def _event(job: BackfillJob, target: dict[str, Any]) -> Any:
    """The event that triggers the target's kind; what the plan knew (an invoice's customer)
    travels with it."""
    kind = get(target["type"])
    assert kind.event is not None
    known = {name: value for name, value in target.items() if name not in ("type", "id")}
    return kind.event.model_validate(
        {"organizationId": job.organization_id, kind.event.id_key(): kind.parse(target["id"])}
        | known
    )


async def publish(
    sessionmaker: async_sessionmaker[AsyncSession], publisher: Publisher, job_id: int
) -> None:
    """Queue the job's events from where it stopped; safe to run again after a crash."""
    async with sessionmaker() as session:
        job = await session.get(BackfillJob, job_id)
        if job is None or job.status != BackfillStatus.PUBLISHING:
            return
        targets, position = list(job.targets), job.published
    prefix = correlation_prefix(job_id)
    while position < len(targets):
        batch = targets[position : position + SAVE_EVERY]
        for target in batch:
            aforo_id = get(target["type"]).aforo_id(str(target["id"]))
            await publisher.publish(
                _event(job, target), correlation_id=prefix + aforo_id, trigger=SyncTrigger.BACKFILL
            )
        position += len(batch)
        async with sessionmaker.begin() as session:
            saved = await session.get(BackfillJob, job_id, with_for_update=True)
            assert saved is not None
            saved.published = max(saved.published, position)
            if saved.published >= saved.total:
                saved.status = BackfillStatus.RUNNING
    log.info("backfill published", extra={"job_id": job_id, "events": len(targets)})


async def resumable_jobs(session: AsyncSession) -> list[int]:
    rows = await session.scalars(
        select(BackfillJob.id).where(BackfillJob.status == BackfillStatus.PUBLISHING)
    )
    return list(rows)


async def progress(session: AsyncSession, job_id: int) -> Outcomes:
    """The latest outcome of each target, from its own sync-log rows."""
    return await sync_log.outcomes_of_run(session, correlation_prefix(job_id))


async def get_job(
    session: AsyncSession, job_id: int, *, organization_id: int | None
) -> BackfillJob:
    job = await session.get(BackfillJob, job_id)
    if job is None or (organization_id is not None and job.organization_id != organization_id):
        raise NotFound(f"backfill {job_id} not found")
    return job


async def create_job(
    session: AsyncSession,
    aforo: AforoClients,
    *,
    organization_id: int,
    entities: list[EntityType],
    date_from: datetime | None,
    date_to: datetime | None,
    caller_token: str | None,
) -> BackfillJob:
    job = BackfillJob(
        organization_id=organization_id,
        entities=",".join(entities),
        date_from=date_from,
        date_to=date_to,
        status=BackfillStatus.PUBLISHING,
        targets=[],
        total=0,
        published=0,
    )
    try:
        job.targets = await plan(
            aforo,
            organization_id=organization_id,
            entities=entities,
            date_from=date_from,
            date_to=date_to,
            caller_token=caller_token,
        )
    except QbsyncError as exc:
        job.status = BackfillStatus.FAILED
        job.error = f"{exc.code}: {exc.message}"
    job.total = len(job.targets)
    if job.status == BackfillStatus.PUBLISHING and job.total == 0:
        job.status = BackfillStatus.DONE
    session.add(job)
    await session.flush()
    return job


async def list_jobs(
    session: AsyncSession, *, organization_id: int | None, limit: int = 50
) -> list[BackfillJob]:
    query = select(BackfillJob).order_by(BackfillJob.id.desc()).limit(limit)
    if organization_id is not None:
        query = query.where(BackfillJob.organization_id == organization_id)
    return list(await session.scalars(query))
