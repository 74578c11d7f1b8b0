"""Operators: this month's billable QuickBooks reads against the app's budget, and forecast."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from qbsync.api.auth import OperatorDep, ScopeDep
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.db.base import utcnow
from qbsync.readbudget import repository
from qbsync.readbudget.budget import forecast, month_of, next_month

router = APIRouter(prefix="/api/quickbooks", tags=["operators"])


@router.get("/read-budget")
async def read_budget(
    _operator: OperatorDep, scope: ScopeDep, resources: ResourcesDep, session: SessionDep
) -> dict[str, Any]:
    """Reads Intuit bills (queries, reads by id, reports, PDFs, CDC) this calendar month
    (UTC), for every organization together and per organization (or only the one named).
    Past ``softThreshold`` optional reads wait for next month; past ``hardThreshold`` only
    the reads a write needs are made; writes are never held back."""
    budget = resources.reads
    total = await budget.flush(resources.sessionmaker)
    now = utcnow()
    month = month_of(now)
    organizations: dict[int, dict[str, Any]] = {}
    for row in await repository.month_usage(session, month, organization_id=scope):
        view = organizations.setdefault(
            row.organization_id,
            {"organizationId": row.organization_id, "reads": 0, "byKind": {}},
        )
        view["reads"] += row.reads
        view["byKind"][row.kind] = row.reads
    settings = resources.settings.quickbooks
    expected = forecast(total, now=now)
    return {
        "month": month.strftime("%Y-%m"),
        "resetsAt": next_month(month).isoformat(),
        "used": total,
        "budget": settings.monthly_read_budget or None,
        "softThreshold": budget.soft_limit,
        "hardThreshold": budget.hard_limit,
        "state": budget.state(total).value,
        "forecast": expected,
        "forecastShare": (
            round(expected / settings.monthly_read_budget, 4)
            if settings.monthly_read_budget
            else None
        ),
        "organizations": sorted(organizations.values(), key=lambda v: -v["reads"]),
    }
