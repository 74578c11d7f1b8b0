"""Named queries of the read-usage table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.db.base import utcnow
from qbsync.readbudget.models import ReadUsage

# (month, organization id, kind) -> reads
UsageKey = tuple[date, int, str]


@dataclass(frozen=True)
class OrganizationUsage:
    organization_id: int
    kind: str
    reads: int


async def add_reads(session: AsyncSession, counts: Mapping[UsageKey, int]) -> None:
    """Add to the counters; concurrent processes add, never overwrite."""
    rows = [
        {"month": month, "organization_id": org, "kind": kind, "reads": reads}
        for (month, org, kind), reads in sorted(counts.items())
        if reads
    ]
    if not rows:
        return
    statement = insert(ReadUsage).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ReadUsage.month, ReadUsage.organization_id, ReadUsage.kind],
            set_={"reads": ReadUsage.reads + statement.excluded.reads, "updated_at": utcnow()},
        )
    )


async def month_total(session: AsyncSession, month: date) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(ReadUsage.reads), 0)).where(ReadUsage.month == month)
    )
    return int(total or 0)


async def month_usage(
    session: AsyncSession, month: date, *, organization_id: int | None = None
) -> list[OrganizationUsage]:
    statement = (
        select(ReadUsage.organization_id, ReadUsage.kind, ReadUsage.reads)
        .where(ReadUsage.month == month)
        .order_by(ReadUsage.organization_id, ReadUsage.kind)
    )
    if organization_id is not None:
        statement = statement.where(ReadUsage.organization_id == organization_id)
    rows = await session.execute(statement)
    return [OrganizationUsage(org, kind, int(reads)) for org, kind, reads in rows]
