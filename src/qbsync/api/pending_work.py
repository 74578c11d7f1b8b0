"""What is waiting to reach QuickBooks, per organization: counts, oldest, next run."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from qbsync.api.auth import ScopeDep
from qbsync.api.deps import SessionDep
from qbsync.api.errors import ERRORS
from qbsync.api.views import CamelModel
from qbsync.scheduler import repository
from qbsync.scheduler.models import Priority, WorkState

router = APIRouter(prefix="/api/quickbooks", tags=["operators"])


def _summaries(counts: list[repository.PendingCount]) -> list[dict[str, Any]]:
    by_org: dict[int, dict[str, Any]] = {}
    for row in counts:
        view = by_org.setdefault(
            row.organization_id,
            {
                "organizationId": row.organization_id,
                "pending": 0,
                "running": 0,
                "parked": 0,
                "oldestAt": None,
                "nextRunAt": None,
                "byPriority": {p.name.lower(): 0 for p in Priority},
            },
        )
        view[row.state.lower()] += row.count
        if row.state == WorkState.PARKED:
            continue
        view["byPriority"][Priority(row.priority).name.lower()] += row.count
        oldest = row.oldest_at.isoformat()
        view["oldestAt"] = min(view["oldestAt"] or oldest, oldest)
        if row.next_run_at is not None:
            next_run = row.next_run_at.isoformat()
            view["nextRunAt"] = min(view["nextRunAt"] or next_run, next_run)
    return list(by_org.values())


class OrganizationWork(CamelModel):
    organization_id: int
    pending: int
    running: int
    parked: int
    oldest_at: str | None
    next_run_at: str | None
    by_priority: dict[str, int]  # waiting work by priority name (interactive, event, …)


class PendingWork(CamelModel):
    organizations: list[OrganizationWork]
    pending: int
    running: int
    parked: int


@router.get("/pending-work", response_model=PendingWork, responses=ERRORS)
async def pending_work(scope: ScopeDep, session: SessionDep) -> dict[str, Any]:
    """Work not yet in QuickBooks: waiting (``pending``, by priority), being synced now
    (``running``) and failed for good (``parked``, see the dead-letter routes). A tenant sees
    its own organization; an operator every organization, or the one it names."""
    organizations = _summaries(await repository.pending_counts(session, organization_id=scope))
    totals = {
        key: sum(view[key] for view in organizations) for key in ("pending", "running", "parked")
    }
    return {"organizations": organizations, **totals}
