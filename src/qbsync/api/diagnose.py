"""GET /diagnose: the debugging checklist for one record, answered in one call
(``qbsync.diagnostics``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from qbsync.api.auth import PrincipalDep, TenantDep
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.api.errors import ERRORS
from qbsync.api.views import (
    CamelModel,
    ConnectionStatusView,
    MappingView,
    ParkedView,
    SparseModel,
    SyncLogView,
)
from qbsync.connections.service import status_view
from qbsync.diagnostics.checklist import checklist

router = APIRouter(prefix="/api/quickbooks", tags=["operators"])


class Facts(SparseModel):
    """What one source said about the record; only what it said is answered."""

    checked: bool | None = None
    exists: bool | None
    id: str | None = None
    sync_token: str | None = None
    active: bool | None = None
    status: str | None = None
    total_amount: str | None = None
    amount: str | None = None
    error: str | None = None


class DiagnoseAnswer(CamelModel):
    organization_id: int
    entity_type: str
    aforo_id: str
    verdict: str
    next_steps: list[str]
    connection: ConnectionStatusView
    mapping: MappingView | None
    quickbooks: Facts
    aforo: Facts
    last_attempts: list[SyncLogView]
    dead_letters: list[ParkedView] | None


@router.get("/diagnose", response_model=DiagnoseAnswer, responses=ERRORS)
async def diagnose_entity(
    organization_id: TenantDep,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    entity_type: Annotated[str, Query(alias="entityType")],
    aforo_id: Annotated[str, Query(alias="aforoId")],
) -> DiagnoseAnswer:
    found = await checklist(
        session,
        resources,
        organization_id=organization_id,
        entity_type=entity_type,
        aforo_id=aforo_id,
        caller_token=principal.token,
    )
    return DiagnoseAnswer(
        organization_id=organization_id,
        entity_type=found.kind.entity_type,
        aforo_id=found.aforo_id,
        verdict=found.diagnosis.verdict,
        next_steps=found.diagnosis.next_steps,
        connection=ConnectionStatusView.model_validate(
            status_view(organization_id, found.connection)
        ),
        mapping=MappingView.model_validate(found.mapping) if found.mapping else None,
        quickbooks=Facts.model_validate(found.quickbooks),
        aforo=Facts.model_validate(found.aforo),
        last_attempts=[SyncLogView.model_validate(row) for row in found.attempts],
        dead_letters=[ParkedView.model_validate(m) for m in found.parked]
        if found.parked is not None
        else None,
    )
