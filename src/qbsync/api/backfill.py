"""POST /backfill and its progress: every customer / invoice of an organization, queued."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Body
from pydantic import BaseModel, ConfigDict, Field, field_validator

from qbsync.api.auth import PrincipalDep, ScopeDep, TenantDep
from qbsync.api.deps import ResourcesDep, RowId, SessionDep
from qbsync.api.errors import ERRORS
from qbsync.api.views import CamelModel
from qbsync.backfill import batched, service
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


class BackfillView(CamelModel):
    """A job and its progress, counted from the sync log."""

    id: int
    organization_id: int
    entities: list[str]
    date_from: str | None = Field(alias="from")
    date_to: str | None = Field(alias="to")
    status: str
    total: int
    published: int
    done: int
    skipped: int
    failed: int
    retrying: int
    pending: int
    error: str | None
    created_at: str


class BackfillList(CamelModel):
    items: list[BackfillView]


async def job_view(session: SessionDep, job: BackfillJob) -> BackfillView:
    progress = await service.progress(session, job.id)
    finished = progress.done + progress.skipped + progress.failed
    status = job.status
    if status == BackfillStatus.RUNNING and finished >= job.total:
        status = BackfillStatus.DONE
    return BackfillView(
        id=job.id,
        organization_id=job.organization_id,
        entities=job.entities.split(","),
        date_from=job.date_from.isoformat() if job.date_from else None,
        date_to=job.date_to.isoformat() if job.date_to else None,
        status=status,
        total=job.total,
        published=job.published,
        done=progress.done,
        skipped=progress.skipped,
        failed=progress.failed,
        retrying=progress.retrying,
        pending=max(0, job.total - finished),
        error=job.error,
        created_at=job.created_at.isoformat(),
    )


@router.post("", status_code=202, response_model=BackfillView, responses=ERRORS)
async def start_backfill(
    organization_id: TenantDep,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    background: BackgroundTasks,
    request: Annotated[BackfillRequest | None, Body()] = None,
) -> BackfillView:
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
    background.add_task(batched.run, resources, job.id)
    return await job_view(session, job)


@router.get("", response_model=BackfillList, responses=ERRORS)
async def list_backfills(scope: ScopeDep, session: SessionDep) -> BackfillList:
    jobs = await service.list_jobs(session, organization_id=scope)
    return BackfillList(items=[await job_view(session, job) for job in jobs])


@router.get("/{job_id}", response_model=BackfillView, responses=ERRORS)
async def get_backfill(job_id: RowId, scope: ScopeDep, session: SessionDep) -> BackfillView:
    return await job_view(session, await service.get_job(session, job_id, organization_id=scope))


@router.post("/{job_id}/resume", status_code=202, response_model=BackfillView, responses=ERRORS)
async def resume_backfill(
    job_id: RowId,
    scope: ScopeDep,
    session: SessionDep,
    resources: ResourcesDep,
    background: BackgroundTasks,
) -> BackfillView:
    """Carry on queueing an interrupted job (also done at start-up); harmless if it is done."""
    job = await service.get_job(session, job_id, organization_id=scope)
    background.add_task(batched.run, resources, job.id)
    return await job_view(session, job)
