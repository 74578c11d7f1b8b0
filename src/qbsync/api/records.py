"""GET /records: the records qbsync has worked on with their sync state; POST …/resync: write
one again even if it looks unchanged; GET /me: who the bearer token says the caller is (the
console signs in with it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from qbsync.api.auth import PrincipalDep, TenantDep
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.api.filters import choice
from qbsync.sync import repository
from qbsync.sync.engine import SyncOptions
from qbsync.sync.models import SyncTrigger
from qbsync.sync.records import RecordFilter, RecordState, list_records, record_kinds
from qbsync.sync.resync import force_resync

router = APIRouter(prefix="/api/quickbooks", tags=["operators"])

MAX_PAGE = 200


@router.get("/me")
async def who_am_i(principal: PrincipalDep) -> dict[str, Any]:
    return {
        "organizationId": principal.organization_id,
        "subject": principal.subject,
        "operator": principal.is_operator,
    }


@router.get("/records")
async def records(
    organization_id: TenantDep,
    session: SessionDep,
    entity_type: Annotated[str | None, Query(alias="entityType")] = None,
    state: str | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> dict[str, Any]:
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
    return {
        "items": [
            {
                "entityType": row.entity_type,
                "aforoId": row.aforo_id,
                "quickbooksId": row.quickbooks_id,
                "state": row.state,
                "lastAttemptId": row.latest.id,
                "lastStatus": row.latest.status,
                "lastAction": row.latest.action,
                "lastAttemptAt": row.latest.created_at.isoformat(),
                "errorCode": row.latest.error_code,
                "errorCategory": row.latest.error_category,
                "errorMessage": row.latest.error_message,
            }
            for row in rows
        ],
        "limit": limit,
    }


@router.post("/records/{entity_type}/{aforo_id}/resync", response_model=None)
async def resync_record(
    entity_type: str,
    aforo_id: str,
    organization_id: TenantDep,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> JSONResponse:
    """The answer is the new attempt, as for a retry."""
    result = await force_resync(
        session,
        resources.sync_deps,
        organization_id=organization_id,
        entity_type=entity_type,
        aforo_id=aforo_id,
        options=SyncOptions(trigger=SyncTrigger.MANUAL, caller_token=principal.token),
    )
    attempt = await repository.get_log(session, result.log_id) if result.log_id else None
    body = {
        "status": result.status,
        "action": result.action,
        "quickbooksId": result.quickbooks_id,
        "message": result.message,
        "attempt": {"id": attempt.id, "status": attempt.status} if attempt else None,
    }
    return JSONResponse(body, status_code=200 if result.error is None else result.error.status_code)
