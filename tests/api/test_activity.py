"""GET /sync-activity (attempts per hour by outcome and error category) and GET /queues."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.sync.activity import bucket_starts
from qbsync.sync.models import SyncLog
from tests.tokens import auth_headers, make_jwt


async def _log(
    sessionmaker: async_sessionmaker[AsyncSession],
    org: int,
    *rows: tuple[timedelta, str, str | None, str],
) -> None:
    now = datetime.now(UTC)
    async with sessionmaker.begin() as session:
        for age, status, category, action in rows:
            session.add(
                SyncLog(
                    organization_id=org,
                    entity_type="CUSTOMER",
                    aforo_id="CUST-1",
                    action=action,
                    status=status,
                    trigger="EVENT",
                    error_category=category,
                    created_at=now - age,
                )
            )


async def test_attempts_are_counted_per_hour_by_outcome_and_category(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
) -> None:
    await _log(
        sessionmaker,
        org_id,
        (timedelta(minutes=1), "SUCCESS", None, "CREATE"),
        (timedelta(minutes=1), "FAILED", "PERMANENT", "CREATE"),
        (timedelta(minutes=1), "RETRYING", "TRANSIENT", "CREATE"),
        (timedelta(minutes=1), "SUCCESS", None, "REPLAY"),  # an operator's action, not an attempt
        (timedelta(hours=3), "FAILED", "TRANSIENT", "CREATE"),
        (timedelta(hours=30), "SUCCESS", None, "CREATE"),  # outside the window
    )
    response = await client.get(
        "/api/quickbooks/sync-activity", params={"hours": 24}, headers=auth_headers(org_id)
    )
    body = response.json()
    assert body["bucketSeconds"] == 3600
    assert len(body["buckets"]) in (24, 25)  # the current hour may be a partial 25th
    latest = body["buckets"][-1]
    assert (latest["succeeded"], latest["failed"]) == (1, {"PERMANENT": 1, "TRANSIENT": 1})
    assert sum(b["failed"].get("TRANSIENT", 0) for b in body["buckets"]) == 2
    assert sum(b["succeeded"] for b in body["buckets"]) == 1
    other = await client.get("/api/quickbooks/sync-activity", headers=auth_headers(org_id + 1))
    assert all(b["succeeded"] == 0 and not b["failed"] for b in other.json()["buckets"])


async def test_longer_ranges_are_counted_per_day(client: httpx.AsyncClient, org_id: int) -> None:
    response = await client.get(
        "/api/quickbooks/sync-activity", params={"hours": 720}, headers=auth_headers(org_id)
    )
    assert response.json()["bucketSeconds"] == 86_400
    assert len(response.json()["buckets"]) in (30, 31)


def test_buckets_are_aligned_and_cover_the_range() -> None:
    since = datetime(2026, 11, 30, 9, 40, tzinfo=UTC)
    starts = bucket_starts(since, since + timedelta(hours=2), timedelta(hours=1))
    assert starts == [since.replace(minute=0) + timedelta(hours=n) for n in range(3)]


async def test_queue_depths_are_for_operators(
    app: FastAPI, client: httpx.AsyncClient, org_id: int
) -> None:
    tenant = await client.get("/api/quickbooks/queues", headers=auth_headers(org_id))
    assert tenant.status_code == 403
    operator = await client.get(
        "/api/quickbooks/queues",
        headers={"Authorization": f"Bearer {make_jwt(None, roles=['QBSYNC_OPERATOR'])}"},
    )
    assert operator.status_code == 200
    queues = {item["queue"]: item["ready"] for item in operator.json()["items"]}
    amqp = app.state.resources.settings.amqp
    named = {
        amqp.work_queue("customer.activated"),
        amqp.work_queue("invoice.created"),
        amqp.work_queue("payment.received"),
        amqp.parking_queue,
    }
    assert named <= set(queues)  # with the retry waits
    assert all(ready >= 0 for ready in queues.values())
