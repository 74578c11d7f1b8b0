"""GET /sync-activity: attempts over time, succeeded and failed by error category; GET /queues:
how many messages wait in each RabbitMQ queue (operators: the queues are shared)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from aio_pika.exceptions import AMQPError
from fastapi import APIRouter, Query

from qbsync.api.auth import OperatorDep, ScopeDep
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.api.errors import ERRORS
from qbsync.api.views import CamelModel
from qbsync.errors import DependencyUnavailable
from qbsync.events.gauges import queue_depths
from qbsync.sync.activity import activity

router = APIRouter(prefix="/api/quickbooks", tags=["operators"])


class ActivityBucket(CamelModel):
    start: str
    succeeded: int
    skipped: int
    failed: dict[str, int]  # FAILED and RETRYING attempts by error category


class SyncActivity(CamelModel):
    organization_id: int | None
    bucket_seconds: int
    buckets: list[ActivityBucket]


class QueueDepth(CamelModel):
    queue: str
    ready: int


class QueueDepths(CamelModel):
    items: list[QueueDepth]


@router.get("/sync-activity", response_model=SyncActivity, responses=ERRORS)
async def sync_activity(
    scope: ScopeDep,
    session: SessionDep,
    hours: Annotated[int, Query(ge=1, le=24 * 90)] = 24,
) -> SyncActivity:
    """Hourly buckets up to two days back, daily ones beyond."""
    size = timedelta(hours=1) if hours <= 48 else timedelta(days=1)
    until = datetime.now(UTC)
    buckets = await activity(
        session, organization_id=scope, since=until - timedelta(hours=hours), until=until, size=size
    )
    return SyncActivity(
        organization_id=scope,
        bucket_seconds=int(size.total_seconds()),
        buckets=[
            ActivityBucket(
                start=bucket.start.isoformat(),
                succeeded=bucket.succeeded,
                skipped=bucket.skipped,
                failed=bucket.failed,
            )
            for bucket in buckets
        ],
    )


@router.get("/queues", response_model=QueueDepths, responses=ERRORS)
async def queues(_operator: OperatorDep, resources: ResourcesDep) -> QueueDepths:
    try:
        depths = await queue_depths(resources.amqp, resources.settings.amqp)
    except (TimeoutError, AMQPError) as exc:  # BrokerUnavailable answers for itself
        raise DependencyUnavailable(f"RabbitMQ did not answer: {type(exc).__name__}") from None
    return QueueDepths(
        items=[QueueDepth(queue=name, ready=ready) for name, ready in depths.items()]
    )
