"""GET /records: the records qbsync has worked on with their sync state; GET /me: who the
bearer token says the caller is (the console signs in with it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from qbsync.api.auth import PrincipalDep, TenantDep
from qbsync.api.deps import SessionDep
from qbsync.api.filters import choice
from qbsync.sync.records import RECORD_KINDS, RecordFilter, RecordState, list_records

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
            entity_type=choice("entityType", entity_type, tuple(RECORD_KINDS)),
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
