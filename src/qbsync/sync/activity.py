"""Attempts over time: how many succeeded and how many failed, by error category, per bucket
of time (the console's "syncs and failures over time" chart)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.sync.models import SyncAction, SyncLog, SyncStatus

UNCATEGORIZED = "UNCATEGORIZED"


@dataclass
class Bucket:
    start: datetime
    succeeded: int = 0
    skipped: int = 0
    # FAILED and RETRYING attempts, by error category.
    failed: dict[str, int] = field(default_factory=dict)


def bucket_starts(since: datetime, until: datetime, size: timedelta) -> list[datetime]:
    """Aligned to whole multiples of ``size`` since the epoch, covering ``since``…``until``."""
    step = size.total_seconds()
    first = datetime.fromtimestamp((since.timestamp() // step) * step, UTC)
    starts = []
    while first < until:
        starts.append(first)
        first += size
    return starts


async def activity(
    session: AsyncSession,
    *,
    organization_id: int | None,
    since: datetime,
    until: datetime,
    size: timedelta,
) -> list[Bucket]:
    """Every bucket in the range, empty ones included; ``organization_id`` None is all."""
    step = size.total_seconds()
    epoch = func.extract("epoch", SyncLog.created_at)
    bucket = func.floor(epoch / step) * step
    query = (
        select(bucket, SyncLog.status, SyncLog.error_category, func.count())
        .where(
            SyncLog.created_at >= since,
            SyncLog.created_at < until,
            SyncLog.action.not_in((SyncAction.REPLAY, SyncAction.DISCARD)),
        )
        .group_by(bucket, SyncLog.status, SyncLog.error_category)
    )
    if organization_id is not None:
        query = query.where(SyncLog.organization_id == organization_id)
    buckets = {start: Bucket(start) for start in bucket_starts(since, until, size)}
    for seconds, status, category, count in (await session.execute(query)).all():
        start = datetime.fromtimestamp(float(seconds), UTC)
        row = buckets.setdefault(start, Bucket(start))
        if status == SyncStatus.SUCCESS:
            row.succeeded += count
        elif status == SyncStatus.SKIPPED:
            row.skipped += count
        else:
            key = category or UNCATEGORIZED
            row.failed[key] = row.failed.get(key, 0) + count
    return sorted(buckets.values(), key=lambda b: b.start)
