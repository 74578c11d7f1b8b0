"""Operator routes: the sync log (filtered, paged), one attempt, retry it, and mappings."""

from __future__ import annotations

import base64
import binascii
import contextlib
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from qbsync.api.auth import PrincipalDep, ScopeDep
from qbsync.api.deps import ResourcesDep, RowId, SessionDep
from qbsync.api.errors import ERRORS
from qbsync.api.filters import choice
from qbsync.api.views import CamelModel, MappingView, SyncLogDetail, SyncLogView
from qbsync.errors import ErrorCategory, InvalidInput, NotFound
from qbsync.ids import parse_id
from qbsync.scheduler.models import Priority
from qbsync.sync import repository, sync_log
from qbsync.sync.models import SyncLog, SyncStatus, SyncTrigger
from qbsync.sync.registry import get, kinds, synced_alone

router = APIRouter(prefix="/api/quickbooks", tags=["operators"])

MAX_PAGE = 200


class SyncLogPage(CamelModel):
    items: list[SyncLogView]
    next_cursor: str | None
    limit: int


class RetryAnswer(CamelModel):
    retried_log_id: int
    status: str
    action: str
    quickbooks_id: str | None
    message: str
    attempt: SyncLogView | None


class MappingPage(CamelModel):
    items: list[MappingView]
    count: int


def _cursor(value: str | None) -> int | None:
    if not value:
        return None
    try:
        row_id = parse_id(base64.urlsafe_b64decode(value.encode() + b"==").decode())
    except (ValueError, binascii.Error):
        row_id = None
    if row_id is None:
        raise InvalidInput("cursor is not one this service issued")
    return row_id


def _next_cursor(rows: list[SyncLog], limit: int) -> str | None:
    if len(rows) < limit:
        return None
    return base64.urlsafe_b64encode(str(rows[-1].id).encode()).decode().rstrip("=")


def _aforo_ids(entity_type: str | None, aforo_id: str | None) -> tuple[str, ...] | None:
    """The stored ids an ``aforoId`` filter means: ``101`` and ``invoice-101`` alike (with
    ``entityType``), or ``101`` as any kind's record (without)."""
    if not aforo_id:
        return None
    value = aforo_id.strip()
    if entity_type:
        kind = get(entity_type)
        # Items are logged by their own key (rateplan-7, item-fallback): taken as given.
        return (value,) if kind.not_alone else (kind.aforo_id(kind.parse(value)),)
    stored = {value}
    for kind in kinds():
        if kind.not_alone is None:
            with contextlib.suppress(InvalidInput):
                stored.add(kind.aforo_id(kind.parse(value)))
    return tuple(sorted(stored))


def _entity_type(value: str | None) -> str | None:
    return choice("entityType", value, [kind.entity_type for kind in kinds()])


@router.get("/sync-logs", response_model=SyncLogPage, responses=ERRORS)
async def list_sync_logs(
    scope: ScopeDep,
    session: SessionDep,
    entity_type: Annotated[str | None, Query(alias="entityType")] = None,
    aforo_id: Annotated[str | None, Query(alias="aforoId")] = None,
    quickbooks_id: Annotated[str | None, Query(alias="quickbooksId")] = None,
    status: str | None = None,
    error_category: Annotated[str | None, Query(alias="errorCategory")] = None,
    trigger: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: str | None = None,
) -> SyncLogPage:
    """Newest first; pass ``nextCursor`` back as ``cursor`` for the next page."""
    kind = _entity_type(entity_type)
    filters = sync_log.LogFilter(
        organization_id=scope,
        entity_type=kind,
        aforo_ids=_aforo_ids(kind, aforo_id),
        quickbooks_id=quickbooks_id,
        status=choice("status", status, SyncStatus),
        error_category=choice("errorCategory", error_category, ErrorCategory),
        trigger=choice("trigger", trigger, SyncTrigger),
        since=since,
        until=until,
    )
    rows = await sync_log.list_logs(session, filters, before_id=_cursor(cursor), limit=limit)
    return SyncLogPage(
        items=[SyncLogView.model_validate(row) for row in rows],
        next_cursor=_next_cursor(rows, limit),
        limit=limit,
    )


async def _visible_log(session: SessionDep, scope: int | None, log_id: int) -> SyncLog:
    row = await sync_log.get_log(session, log_id)
    # Another organization's row is answered like a missing one: ids are not a side channel.
    if row is None or (scope is not None and row.organization_id != scope):
        raise NotFound(f"sync log {log_id} not found")
    return row


@router.get("/sync-logs/{log_id}", response_model=SyncLogDetail, responses=ERRORS)
async def get_sync_log(log_id: RowId, scope: ScopeDep, session: SessionDep) -> SyncLogDetail:
    return SyncLogDetail.model_validate(await _visible_log(session, scope, log_id))


@router.post("/sync-logs/{log_id}/retry", response_model=RetryAnswer, responses=ERRORS)
async def retry_sync_log(
    log_id: RowId,
    scope: ScopeDep,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> JSONResponse:
    """Run that entity's sync again now; the answer is the new attempt."""
    row = await _visible_log(session, scope, log_id)
    if row.organization_id is None:
        raise InvalidInput(
            "this message named no organization; replay or discard it from dead letters"
        )
    scheduling = resources.scheduling
    waited = await scheduling.wait_for(
        scheduling.request(
            organization_id=row.organization_id,
            kind=synced_alone(row.entity_type).entity_type,
            aforo_id=row.aforo_id,
            priority=Priority.INTERACTIVE,
            trigger=SyncTrigger.RETRY,
        ),
        caller_token=principal.token,
    )
    if waited.result is None:
        # Not within QBSYNC_SCHEDULER__MANUAL_WAIT_S: it stays queued at the top priority.
        queued = {"retriedLogId": log_id, "status": "accepted", "workId": waited.work_id}
        return JSONResponse(queued, status_code=202)
    result = waited.result
    attempt = await sync_log.get_log(session, result.log_id) if result.log_id else None
    body = RetryAnswer(
        retried_log_id=log_id,
        status=result.status,
        action=result.action,
        quickbooks_id=result.quickbooks_id,
        message=result.message,
        attempt=SyncLogView.model_validate(attempt) if attempt else None,
    )
    # Answered, not raised: the failed attempt's log row must commit with the request.
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=200 if result.error is None else result.error.status_code,
    )


@router.get("/mappings", response_model=MappingPage, responses=ERRORS)
async def list_mappings(
    scope: ScopeDep,
    session: SessionDep,
    entity_type: Annotated[str | None, Query(alias="entityType")] = None,
    aforo_id: Annotated[str | None, Query(alias="aforoId")] = None,
    quickbooks_id: Annotated[str | None, Query(alias="quickbooksId")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> MappingPage:
    kind = _entity_type(entity_type)
    rows = await repository.list_mappings(
        session,
        organization_id=scope,
        entity_type=kind,
        aforo_ids=_aforo_ids(kind, aforo_id),
        quickbooks_id=quickbooks_id,
        limit=limit,
    )
    return MappingPage(items=[MappingView.model_validate(row) for row in rows], count=len(rows))
