"""POST /backfill and its progress: every customer / invoice of an organization, queued."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body
from pydantic import BaseModel, ConfigDict, Field, field_validator

from qbsync.api.auth import PrincipalDep, ScopeDep, TenantDep
from qbsync.api.deps import ResourcesDep, RowId, SessionDep
from qbsync.backfill import service
from qbsync.backfill.models import BackfillJob, BackfillStatus
from qbsync.connections import repository as connections
from qbsync.connections.tokens import ensure_usable

router = APIRouter(prefix="/api/quickbooks/backfill", tags=["operators"])


class BackfillRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    entities: list[str] = Field(default_factory=lambda: ["customers", "invoices"], min_length=1)
    date_from: datetime | None = Field(default=None, alias="from")
    date_to: datetime | None = Field(default=None, alias="to")

    @field_validator("date_from", "date_to")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        """A date-time without an offset is UTC, as the Aforo services write them."""
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


async def job_view(session: SessionDep, job: BackfillJob) -> dict[str, Any]:
    progress = await service.progress(session, job.id)
    finished = progress.done + progress.skipped + progress.failed
    status = job.status
    if status == BackfillStatus.RUNNING and finished >= job.total:
        status = BackfillStatus.DONE
    return {
        "id": job.id,
        "organizationId": job.organization_id,
        "entities": job.entities.split(","),
        "from": job.date_from.isoformat() if job.date_from else None,
        "to": job.date_to.isoformat() if job.date_to else None,
        "status": status,
        "total": job.total,
        "published": job.published,
        "done": progress.done,
        "skipped": progress.skipped,
        "failed": progress.failed,
        "retrying": progress.retrying,
        "pending": max(0, job.total - finished),
        "error": job.error,
        "createdAt": job.created_at.isoformat(),
    }


@router.post("", status_code=202)
async def start_backfill(
    organization_id: TenantDep,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    background: BackgroundTasks,
    request: Annotated[BackfillRequest | None, Body()] = None,
) -> dict[str, Any]:
    """Plans the job now (so its total is known) and queues its events in the background;
    the consumers sync them at the per-realm pace."""
    wanted = request or BackfillRequest()
    entities = service.parse_entities(wanted.entities)  # the input first, then the state
    ensure_usable(organization_id, await connections.get_connection(session, organization_id))
    job = await service.create_job(
        session,
        resources.aforo,
        organization_id=organization_id,
        entities=entities,
        date_from=wanted.date_from,
        date_to=wanted.date_to,
        caller_token=principal.token,
    )
    # Runs after the response, so after this request's transaction has committed the job.
    background.add_task(service.publish, resources.sessionmaker, resources.publisher, job.id)
    return await job_view(session, job)


@router.get("")
async def list_backfills(scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
    jobs = await service.list_jobs(session, organization_id=scope)
    return {"items": [await job_view(session, job) for job in jobs]}


@router.get("/{job_id}")
async def get_backfill(job_id: RowId, scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
    return await job_view(session, await service.get_job(session, job_id, organization_id=scope))


@router.post("/{job_id}/resume", status_code=202)
async def resume_backfill(
    job_id: RowId,
    scope: ScopeDep,
    session: SessionDep,
    resources: ResourcesDep,
    background: BackgroundTasks,
) -> dict[str, Any]:
    """Carry on queueing an interrupted job (also done at start-up); harmless if it is done."""
    job = await service.get_job(session, job_id, organization_id=scope)
    background.add_task(service.publish, resources.sessionmaker, resources.publisher, job.id)
    return await job_view(session, job)
