"""GET /records: the records qbsync has worked on with their sync state; POST …/resync: write
one again even if it looks unchanged; GET /me: who the bearer token says the caller is (the
console signs in with it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from qbsync.api.auth import PrincipalDep, TenantDep
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.api.errors import ERRORS, errors
from qbsync.api.filters import choice
from qbsync.api.views import CamelModel
from qbsync.sync import sync_log
from qbsync.sync.records import RecordFilter, RecordState, list_records, record_kinds
from qbsync.sync.resync import forget_written

router = APIRouter(prefix="/api/quickbooks", tags=["operators"])

MAX_PAGE = 200


class Me(CamelModel):
    organization_id: int | None
    subject: str | None
    operator: bool


class RecordView(CamelModel):
    """One record and its latest attempt."""

    entity_type: str
    aforo_id: str
    quickbooks_id: str | None
    state: str
    last_attempt_id: int
    last_status: str
    last_action: str
    last_attempt_at: str
    error_code: str | None
    error_category: str | None
    error_message: str | None


class RecordPage(CamelModel):
    items: list[RecordView]
    limit: int


class AttemptRef(CamelModel):
    id: int
    status: str


class ResyncAnswer(CamelModel):
    status: str
    action: str
    quickbooks_id: str | None
    message: str
    attempt: AttemptRef | None


@router.get("/me", response_model=Me, responses=errors(401))
async def who_am_i(principal: PrincipalDep) -> Me:
    return Me(
        organization_id=principal.organization_id,
        subject=principal.subject,
        operator=principal.is_operator,
    )


@router.get("/records", response_model=RecordPage, responses=ERRORS)
async def records(
    organization_id: TenantDep,
    session: SessionDep,
    entity_type: Annotated[str | None, Query(alias="entityType")] = None,
    state: str | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> RecordPage:
    """Each record's latest attempt, most recent first; ``q`` matches part of the Aforo or
    QuickBooks id."""
    wanted_state = choice("state", state, tuple(RecordState))
    rows = await list_records(
        session,
        RecordFilter(
            organization_id=organization_id,
            entity_type=choice("entityType", entity_type, record_kinds()),
            state=RecordState(wanted_state) if wanted_state else None,
            search=q,
        ),
        limit=limit,
    )
    return RecordPage(
        items=[
            RecordView(
                entity_type=row.entity_type,
                aforo_id=row.aforo_id,
                quickbooks_id=row.quickbooks_id,
                state=row.state,
                last_attempt_id=row.latest.id,
                last_status=row.latest.status,
                last_action=row.latest.action,
                last_attempt_at=row.latest.created_at.isoformat(),
                error_code=row.latest.error_code,
                error_category=row.latest.error_category,
                error_message=row.latest.error_message,
            )
            for row in rows
        ],
        limit=limit,
    )


class ResyncQueued(CamelModel):
    status: str
    aforo_id: str
    work_id: int
    message: str


@router.post(
    "/records/{entity_type}/{aforo_id}/resync",
    response_model=ResyncAnswer,
    responses={202: {"model": ResyncQueued}, **ERRORS},
)
async def resync_record(
    entity_type: str,
    aforo_id: str,
    organization_id: TenantDep,
    principal: PrincipalDep,
    resources: ResourcesDep,
) -> JSONResponse:
    """The answer is the new attempt, as for a retry. A person waits: the sync runs at the
    top priority in its company's turn, under the realm's lease and limits like any other."""
    # Committed before the sync is queued, so that the sync (in whichever process holds the
    # realm) sees the record as never written and writes it.
    async with resources.sessionmaker.begin() as session:
        kind, key = await forget_written(
            session, organization_id=organization_id, entity_type=entity_type, aforo_id=aforo_id
        )
    full_id = kind.aforo_id(key)
    waited = await resources.scheduling.sync_for_person(
        organization_id=organization_id,
        kind=kind.entity_type,
        aforo_id=full_id,
        caller_token=principal.token,
    )
    result = waited.result
    if result is None:
        queued = ResyncQueued(
            status="accepted",
            aforo_id=full_id,
            work_id=waited.work_id,
            message="resync queued; it runs as soon as the company's turn comes",
        )
        return JSONResponse(queued.model_dump(mode="json"), status_code=202)
    async with resources.sessionmaker() as session:
        attempt = await sync_log.get_log(session, result.log_id) if result.log_id else None
    body = ResyncAnswer(
        status=result.status,
        action=result.action,
        quickbooks_id=result.quickbooks_id,
        message=result.message,
        attempt=AttemptRef(id=attempt.id, status=attempt.status) if attempt else None,
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=200 if result.error is None else result.error.status_code,
    )
