"""A backfill of a few hundred records, interrupted while queueing and resumed, ends with each
record in QuickBooks exactly once and its progress accounted for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from qbo_emulator.aforo import StubCustomer
from qbsync.backfill import service
from qbsync.backfill.models import BackfillJob, BackfillStatus
from qbsync.errors import DependencyUnavailable
from tests.fixtures.consumers import eventually
from tests.tokens import auth_headers

CUSTOMERS = 150
INVOICES = 100


class CrashingPublisher:
    """Stands in for a process that dies after queueing part of the job."""

    def __init__(self, real, *, after: int) -> None:
        self.real, self.left = real, after

    async def publish(self, *args, **kwargs) -> str:
        if self.left == 0:
            raise DependencyUnavailable("process killed")
        self.left -= 1
        return await self.real.publish(*args, **kwargs)


@pytest.fixture
async def unthrottled(emulator_control) -> AsyncIterator[None]:
    """Lift the emulator's per-realm limits for this volume; restore them afterwards."""
    before = await emulator_control.configure(requests_per_minute=100_000, max_in_flight=100)
    yield
    await emulator_control.configure(
        requests_per_minute=before.requests_per_minute, max_in_flight=before.max_in_flight
    )


@pytest.mark.usefixtures("unthrottled")
async def test_interrupted_backfill_resumes_and_syncs_each_record_once(
    consuming_app, org, aforo, emulator_control, sessionmaker
) -> None:
    customers: list[StubCustomer] = await asyncio.gather(
        *(aforo.customer(customer_name=f"Backfill Customer {n:03d}") for n in range(CUSTOMERS))
    )
    await asyncio.gather(*(aforo.invoice(customers[n % CUSTOMERS]) for n in range(INVOICES)))
    # A DRAFT customer is not part of the backfill: only ACTIVE ones are planned.
    await aforo.customer(customer_name="Not Yet Active", status="DRAFT")
    resources = consuming_app.state.resources

    async with sessionmaker.begin() as session:
        job = await service.create_job(
            session,
            resources.aforo,
            organization_id=org.organization_id,
            entities=service.parse_entities(["customers", "invoices"]),
            date_from=None,
            date_to=None,
            caller_token=None,
        )
    assert job.total == CUSTOMERS + INVOICES
    with pytest.raises(DependencyUnavailable):
        await service.publish(
            sessionmaker, CrashingPublisher(resources.publisher, after=80), job.id
        )
    async with sessionmaker() as session:
        interrupted = await session.get(BackfillJob, job.id)
        assert interrupted is not None
        assert interrupted.status == BackfillStatus.PUBLISHING
        assert 0 < interrupted.published < interrupted.total

    transport = httpx.ASGITransport(app=consuming_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        headers = auth_headers(org.organization_id)
        resumed = await client.post(f"/api/quickbooks/backfill/{job.id}/resume", headers=headers)
        assert resumed.status_code == 202

        async def finished() -> bool:
            body = (await client.get(f"/api/quickbooks/backfill/{job.id}", headers=headers)).json()
            return body["status"] == "DONE"

        await eventually(finished, timeout_s=90)
        progress = (await client.get(f"/api/quickbooks/backfill/{job.id}", headers=headers)).json()
        assert progress["failed"] == 0
        assert progress["done"] + progress["skipped"] == CUSTOMERS + INVOICES
        assert progress["pending"] == 0
        stranger = await client.get(
            f"/api/quickbooks/backfill/{job.id}", headers=auth_headers(org.organization_id + 1)
        )
        assert stranger.status_code == 404

    qbo_customers = await emulator_control.live(org.realm_id, "Customer")
    qbo_invoices = await emulator_control.live(org.realm_id, "Invoice")
    assert len(qbo_customers) == CUSTOMERS
    assert len({r.body["DisplayName"] for r in qbo_customers}) == CUSTOMERS
    assert len(qbo_invoices) == INVOICES
    assert len({r.body["DocNumber"] for r in qbo_invoices}) == INVOICES


async def test_backfill_route_plans_and_runs(consuming_app, org, aforo, emulator_control) -> None:
    customer = await aforo.customer()
    await aforo.invoice(customer)
    transport = httpx.ASGITransport(app=consuming_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        headers = auth_headers(org.organization_id)
        started = await client.post(
            "/api/quickbooks/backfill", json={"entities": ["invoices"]}, headers=headers
        )
        assert started.status_code == 202, started.text
        job = started.json()
        assert job["total"] == 1

        async def finished() -> bool:
            body = (
                await client.get(f"/api/quickbooks/backfill/{job['id']}", headers=headers)
            ).json()
            return body["status"] == "DONE"

        await eventually(finished)
        bad = await client.post(
            "/api/quickbooks/backfill", json={"entities": ["vendors"]}, headers=headers
        )
        assert bad.status_code == 422
    assert len(await emulator_control.live(org.realm_id, "Invoice")) == 1
