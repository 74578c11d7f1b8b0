"""Pending work made visible: the operator route per organization, and Prometheus gauges."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.scheduler import repository
from qbsync.scheduler.models import Priority
from tests.tokens import auth_headers, make_jwt

from .conftest import work

ROUTE = "/api/quickbooks/pending-work"


async def _queue(sessionmaker: async_sessionmaker[AsyncSession], org_id: int) -> None:
    async with sessionmaker.begin() as session:
        for n in range(3):
            await repository.enqueue(session, work(org_id, n))
        await repository.enqueue(session, work(org_id, 9, priority=Priority.BULK, delay_s=60))
        parked = await repository.enqueue(session, work(org_id, 7))
        await repository.park(
            session, parked.work_id, reason="permanent_error", error=("x", "PERMANENT", "no")
        )
        await repository.enqueue(session, work(org_id + 1, 1))


class TestRoute:
    async def test_a_tenant_sees_its_own_organization(
        self, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
    ) -> None:
        await _queue(sessionmaker, org_id)
        response = await client.get(ROUTE, headers=auth_headers(org_id))
        assert response.status_code == 200, response.text
        body = response.json()
        [mine] = body["organizations"]
        assert mine["organizationId"] == org_id
        assert (mine["pending"], mine["running"], mine["parked"]) == (4, 0, 1)
        assert mine["byPriority"] == {"interactive": 0, "event": 3, "bulk": 1}
        assert mine["oldestAt"] is not None
        assert mine["nextRunAt"] is not None
        assert (body["pending"], body["parked"]) == (4, 1)

    async def test_an_operator_sees_every_organization(
        self, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
    ) -> None:
        await _queue(sessionmaker, org_id)
        operator = {"Authorization": f"Bearer {make_jwt(None, roles=['QBSYNC_OPERATOR'])}"}
        body = (await client.get(ROUTE, headers=operator)).json()
        assert {o["organizationId"] for o in body["organizations"]} >= {org_id, org_id + 1}
        named = (
            await client.get(ROUTE, params={"organizationId": org_id + 1}, headers=operator)
        ).json()
        assert [o["organizationId"] for o in named["organizations"]] == [org_id + 1]

    async def test_metrics_show_depth_and_age_per_priority(
        self, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
    ) -> None:
        await _queue(sessionmaker, org_id)
        text = (await client.get("/metrics")).text
        assert 'qbsync_pending_work{priority="1",state="PENDING"} 4.0' in text
        # Bulk work of other companies (the app's start-up upkeep queues their sweeps) may
        # share the gauge; ours is there.
        [bulk] = re.findall(r'qbsync_pending_work\{priority="2",state="PENDING"\} (\S+)', text)
        assert float(bulk) >= 1
        assert 'qbsync_pending_work{priority="1",state="PARKED"} 1.0' in text
        assert 'qbsync_pending_work_oldest_age_seconds{priority="1"}' in text
