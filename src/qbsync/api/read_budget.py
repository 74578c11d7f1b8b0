"""Operators: this month's billable QuickBooks reads against the app's budget, and forecast."""

from __future__ import annotations

from fastapi import APIRouter

from qbsync.api.auth import OperatorDep, ScopeDep
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.api.errors import ERRORS
from qbsync.api.views import CamelModel
from qbsync.db.base import utcnow
from qbsync.readbudget import repository
from qbsync.readbudget.budget import forecast, month_of, next_month

router = APIRouter(prefix="/api/quickbooks", tags=["operators"])


class OrganizationReads(CamelModel):
    organization_id: int
    reads: int
    # query, read, pdf, report, cdc
    by_kind: dict[str, int]


class ReadBudgetView(CamelModel):
    month: str
    resets_at: str
    used: int
    budget: int | None
    soft_threshold: int | None
    hard_threshold: int | None
    # ok, soft (optional reads deferred), hard (only reads a write needs)
    state: str
    forecast: int
    forecast_share: float | None
    organizations: list[OrganizationReads]


@router.get("/read-budget", response_model=ReadBudgetView, responses=ERRORS)
async def read_budget(
    _operator: OperatorDep, scope: ScopeDep, resources: ResourcesDep, session: SessionDep
) -> ReadBudgetView:
    """Reads Intuit bills (queries, reads by id, reports, PDFs, CDC) this calendar month
    (UTC), for every organization together and per organization (or only the one named).
    Past ``softThreshold`` optional reads wait for next month; past ``hardThreshold`` only
    the reads a write needs are made; writes are never held back."""
    budget = resources.reads
    total = await budget.flush(resources.sessionmaker)
    now = utcnow()
    month = month_of(now)
    organizations: dict[int, OrganizationReads] = {}
    for row in await repository.month_usage(session, month, organization_id=scope):
        view = organizations.setdefault(
            row.organization_id,
            OrganizationReads(organization_id=row.organization_id, reads=0, by_kind={}),
        )
        view.reads += row.reads
        view.by_kind[row.kind] = row.reads
    monthly = resources.settings.quickbooks.monthly_read_budget
    expected = forecast(total, now=now)
    return ReadBudgetView(
        month=month.strftime("%Y-%m"),
        resets_at=next_month(month).isoformat(),
        used=total,
        budget=monthly or None,
        soft_threshold=budget.soft_limit,
        hard_threshold=budget.hard_limit,
        state=budget.state(total).value,
        forecast=expected,
        forecast_share=round(expected / monthly, 4) if monthly else None,
        organizations=sorted(organizations.values(), key=lambda view: -view.reads),
    )
