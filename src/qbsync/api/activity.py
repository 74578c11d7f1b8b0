"""GET /sync-activity: attempts over time, succeeded and failed by error category; GET /queues:
how many messages wait in each RabbitMQ queue (operators: the queues are shared)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from aio_pika.exceptions import AMQPError
from fastapi import APIRouter, Query

from qbsync.api.auth import OperatorDep, ScopeDep
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.errors import DependencyUnavailable
from qbsync.events.gauges import queue_depths
from qbsync.sync.activity import activity

router = APIRouter(prefix="/api/quickbooks", tags=["operators"])


@router.get("/sync-activity")
async def sync_activity(
    scope: ScopeDep,
    session: SessionDep,
    hours: Annotated[int, Query(ge=1, le=24 * 90)] = 24,
) -> dict[str, Any]:
    """Hourly buckets up to two days back, daily ones beyond."""
    size = timedelta(hours=1) if hours <= 48 else timedelta(days=1)
    until = datetime.now(UTC)
    buckets = await activity(
        session, organization_id=scope, since=until - timedelta(hours=hours), until=until, size=size
    )
    return {
        "organizationId": scope,
        "bucketSeconds": int(size.total_seconds()),
        "buckets": [
            {
                "start": bucket.start.isoformat(),
                "succeeded": bucket.succeeded,
                "skipped": bucket.skipped,
                "failed": bucket.failed,
            }
            for bucket in buckets
        ],
    }


@router.get("/queues")
async def queues(_operator: OperatorDep, resources: ResourcesDep) -> dict[str, Any]:
    try:
        depths = await queue_depths(resources.amqp, resources.settings.amqp)
    except (TimeoutError, AMQPError) as exc:  # BrokerUnavailable answers for itself
        raise DependencyUnavailable(f"RabbitMQ did not answer: {type(exc).__name__}") from None
    return {"items": [{"queue": name, "ready": ready} for name, ready in depths.items()]}
