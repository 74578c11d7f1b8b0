"""Drift between Aforo and QuickBooks per organization: the report (JSON or CSV), the stored
mismatches, repairs (one or many) and a sweep on demand. docs/reconciliation.md."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from qbsync.api.auth import PrincipalDep, TenantDep
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.api.views import CamelModel, exact_json
from qbsync.connections import repository as connections
from qbsync.connections.tokens import ensure_usable
from qbsync.errors import InvalidInput
from qbsync.reconcile import repository
from qbsync.reconcile.drift import DriftReport, Period, build_report
from qbsync.reconcile.models import Mismatch, MismatchKind, MismatchState, Repair
from qbsync.reconcile.repairs import Outcome, RepairRequest, apply_repairs
from qbsync.reconcile.sweep import sweep_request
from qbsync.scheduler import repository as work_queue

router = APIRouter(prefix="/api/quickbooks", tags=["drift"])

MAX_PERIOD_DAYS = 366
MAX_REPAIRS = 500


class MismatchView(CamelModel):
    id: int
    entity_type: str
    aforo_id: str | None
    quickbooks_id: str | None
    kind: str
    aforo_value: str | None
    quickbooks_value: str | None
    suggested_repair: str
    state: str
    reason: str | None
    source: str
    detected_at: datetime
    updated_at: datetime


class TotalView(CamelModel):
    aforo: Decimal
    quickbooks: Decimal
    difference: Decimal


class PresenceView(CamelModel):
    missing_in_quickbooks: int
    not_in_quickbooks: int
    unknown_to_aforo: int


class DriftView(CamelModel):
    organization_id: int
    realm_id: str
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    aforo_invoices: int
    quickbooks_invoices: int
    totals: dict[str, TotalView]
    presence: PresenceView
    open_mismatches: int
    mismatches: list[MismatchView]


def _view(mismatch: Mismatch) -> MismatchView:
    return MismatchView(
        id=mismatch.id,
        entity_type=mismatch.entity_type,
        aforo_id=mismatch.aforo_id,
        quickbooks_id=mismatch.quickbooks_id,
        kind=mismatch.kind,
        aforo_value=mismatch.aforo_value,
        quickbooks_value=mismatch.quickbooks_value,
        suggested_repair=mismatch.suggested_repair,
        state=mismatch.state,
        reason=mismatch.reason,
        source=mismatch.source,
        detected_at=mismatch.created_at,
        updated_at=mismatch.updated_at,
    )


def drift_view(report: DriftReport) -> DriftView:
    return DriftView(
        organization_id=report.organization_id,
        realm_id=report.realm_id,
        start=report.period.start,
        end=report.period.end,
        aforo_invoices=report.aforo_invoices,
        quickbooks_invoices=report.quickbooks_invoices,
        totals={
            name: TotalView(aforo=t.aforo, quickbooks=t.quickbooks, difference=t.difference)
            for name, t in report.totals.items()
        },
        presence=PresenceView(
            missing_in_quickbooks=report.count(MismatchKind.MISSING_IN_QUICKBOOKS),
            not_in_quickbooks=report.count(MismatchKind.NOT_IN_QUICKBOOKS),
            unknown_to_aforo=report.count(MismatchKind.UNKNOWN_TO_AFORO),
        ),
        open_mismatches=sum(1 for m in report.mismatches if m.state == MismatchState.OPEN),
        mismatches=[_view(m) for m in report.mismatches],
    )


CSV_COLUMNS = [
    "id",
    "entityType",
    "aforoId",
    "quickbooksId",
    "kind",
    "aforoValue",
    "quickbooksValue",
    "suggestedRepair",
    "state",
    "reason",
]


def drift_csv(view: DriftView) -> str:
    """Totals first (kind TOTAL_*), then one row per mismatch."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for name, total in view.totals.items():
        writer.writerow(
            [
                "",
                "TOTAL",
                "",
                "",
                f"TOTAL_{name.upper()}",
                total.aforo,
                total.quickbooks,
                "",
                "",
                "",
            ]
        )
    for m in view.mismatches:
        writer.writerow(
            [
                m.id,
                m.entity_type,
                m.aforo_id or "",
                m.quickbooks_id or "",
                m.kind,
                m.aforo_value or "",
                m.quickbooks_value or "",
                m.suggested_repair,
                m.state,
                m.reason or "",
            ]
        )
    return out.getvalue()


@router.get("/drift", response_model=DriftView)
async def drift_report(
    organization_id: TenantDep,
    session: SessionDep,
    resources: ResourcesDep,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """Aforo against QuickBooks for the invoices dated in [from, to]: totals, presence and
    field differences; what is found is kept (ignores survive the next report)."""
    if end < start or (end - start).days > MAX_PERIOD_DAYS:
        raise InvalidInput(f"the period must run forwards and span at most {MAX_PERIOD_DAYS} days")
    report = await build_report(
        session, resources.sync_deps, organization_id=organization_id, period=Period(start, end)
    )
    view = drift_view(report)
    if format == "csv":
        filename = f"drift-{organization_id}-{start}-{end}.csv"
        return Response(
            drift_csv(view),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return exact_json(view)


class MismatchList(CamelModel):
    items: list[MismatchView]


@router.get("/drift/mismatches", response_model=MismatchList)
async def list_mismatches(
    organization_id: TenantDep,
    session: SessionDep,
    state: Annotated[list[MismatchState] | None, Query()] = None,
) -> MismatchList:
    """What reports, webhooks and sweeps found, without asking QuickBooks (open and ignored
    by default)."""
    states = state or [MismatchState.OPEN, MismatchState.IGNORED]
    rows = await repository.list_mismatches(
        session, organization_id=organization_id, states=[str(s) for s in states]
    )
    return MismatchList(items=[_view(m) for m in rows])


class RepairBody(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, extra="forbid")

    mismatch_id: int = Field(ge=1, le=2**63 - 1)
    action: Literal[Repair.RECREATE, Repair.REPUSH, Repair.RELINK, Repair.IGNORE]
    quickbooks_id: str | None = Field(default=None, max_length=20)
    aforo_id: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=1000)


class RepairsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    repairs: list[RepairBody] = Field(min_length=1, max_length=MAX_REPAIRS)


class RepairView(CamelModel):
    mismatch_id: int
    action: str
    outcome: Outcome
    message: str
    log_id: int | None
    work_id: int | None


class RepairsView(CamelModel):
    results: list[RepairView]


@router.post("/drift/repairs", response_model=RepairsView)
async def repair(
    body: RepairsBody,
    organization_id: TenantDep,
    principal: PrincipalDep,
    resources: ResourcesDep,
) -> RepairsView:
    """One repair or many; each is logged in the sync log as its own action, and a refused
    one (say, an ignore without a reason) does not stop the others."""
    async with resources.sessionmaker.begin() as session:
        results = await apply_repairs(
            session,
            resources.sync_deps,
            resources.scheduling,
            organization_id=organization_id,
            requests=[
                RepairRequest(r.mismatch_id, r.action, r.quickbooks_id, r.aforo_id, r.reason)
                for r in body.repairs
            ],
            subject=principal.subject,
        )
    resources.scheduling.wake()
    return RepairsView(
        results=[
            RepairView(
                mismatch_id=r.mismatch_id,
                action=r.action,
                outcome=r.outcome,
                message=r.message,
                log_id=r.log_id,
                work_id=r.work_id,
            )
            for r in results
        ]
    )


class SweepView(CamelModel):
    work_id: int
    coalesced: bool


@router.post("/drift/sweep", response_model=SweepView, status_code=202)
async def sweep_now(organization_id: TenantDep, resources: ResourcesDep) -> SweepView:
    """Look for what QuickBooks changed since the last sweep (CDC), now rather than at the
    next scheduled sweep; it runs as low-priority work."""
    async with resources.sessionmaker.begin() as session:
        connection = ensure_usable(
            organization_id, await connections.get_connection(session, organization_id)
        )
        queued = await work_queue.enqueue(
            session,
            sweep_request(
                organization_id,
                connection.realm_id,
                max_attempts=resources.scheduling.max_attempts,
            ),
        )
    resources.scheduling.wake()
    return SweepView(work_id=queued.work_id, coalesced=queued.coalesced)
