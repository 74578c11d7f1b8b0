"""The original's read routes (sync stats, synced customers, sync status, dashboard link),
over HTTP, against mappings written by real syncs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import update

from qbsync.app import create_app
from qbsync.config import Settings
from qbsync.connections.models import ConnectionStatus, QuickBooksConnection
from qbsync.sync.engine import sync
from tests.tokens import auth_headers


@asynccontextmanager
async def running_ui_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app, without waiting for RabbitMQ as the shared ``app`` fixture does: none of
    the UI routes uses the broker."""
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=20, shutdown_timeout=20):
        yield application


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    async with running_ui_app(settings) as application:
        yield application


def _instant(value: str) -> datetime:
    assert value.endswith("Z"), value
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None
    return parsed


class TestSyncStats:
    async def test_counts_what_was_synced(self, client, run, org, aforo) -> None:
        customer = await aforo.customer()
        other = await aforo.customer(customer_name="Globex")
        invoice = await aforo.invoice(customer)
        payment = await aforo.payment(invoice, "210.00")
        org_id = org.organization_id
        await run(sync, kind="invoice", organization_id=org_id, aforo_id=invoice.id)
        await run(sync, kind="customer", organization_id=org_id, aforo_id=other.customer_id)
        await run(sync, kind="payment", organization_id=org_id, aforo_id=payment.id)

        response = await client.get("/api/quickbooks/sync-stats", headers=auth_headers(org_id))

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["organizationId"] == org_id
        assert (body["syncedCustomers"], body["syncedInvoices"], body["syncedPayments"]) == (
            2,
            1,
            1,
        )
        # The rate-plan item the invoice needed is not a user-visible entity.
        assert body["totalSyncedEntities"] == 4
        assert sorted(body["syncedCustomerIds"]) == sorted(
            [f"CUST-{customer.customer_id}", f"CUST-{other.customer_id}"]
        )
        assert body["message"].startswith("2 customer(s)")

    async def test_an_organization_that_never_connected_has_none(self, client, org_id) -> None:
        response = await client.get("/api/quickbooks/sync-stats", headers=auth_headers(org_id))
        assert response.status_code == 200
        assert response.json()["totalSyncedEntities"] == 0
        assert response.json()["syncedCustomerIds"] == []


class TestSyncedCustomers:
    async def test_lists_mapped_customers(self, client, run, org, aforo) -> None:
        customer = await aforo.customer()
        result = await run(
            sync,
            kind="customer",
            organization_id=org.organization_id,
            aforo_id=customer.customer_id,
        )
        response = await client.get(
            "/api/quickbooks/synced-customers", headers=auth_headers(org.organization_id)
        )
        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 1
        assert body["organizationId"] == org.organization_id
        [row] = body["customers"]
        assert row["aforoId"] == f"CUST-{customer.customer_id}"
        assert row["quickbooksId"] == result.quickbooks_id
        assert _instant(row["syncedAt"]) <= _instant(row["lastUpdated"])


class TestCustomerSyncStatus:
    @pytest.mark.parametrize("form", ["{id}", "CUST-{id}"])
    async def test_synced_customer_by_either_id(self, client, run, org, aforo, form) -> None:
        customer = await aforo.customer()
        result = await run(
            sync,
            kind="customer",
            organization_id=org.organization_id,
            aforo_id=customer.customer_id,
        )
        asked = form.format(id=customer.customer_id)
        response = await client.get(
            f"/api/quickbooks/customer/{asked}/sync-status",
            headers=auth_headers(org.organization_id),
        )
        assert response.status_code == 200
        body = response.json()
        assert body["customerId"] == asked
        assert body["isSynced"] is True
        assert body["quickbooksId"] == result.quickbooks_id
        _instant(body["syncedAt"])

    async def test_unsynced_and_invalid(self, client, org, aforo) -> None:
        customer = await aforo.customer()
        headers = auth_headers(org.organization_id)
        response = await client.get(
            f"/api/quickbooks/customer/CUST-{customer.customer_id}/sync-status", headers=headers
        )
        assert response.status_code == 200
        body = response.json()
        assert body["isSynced"] is False
        assert "quickbooksId" not in body
        bad = await client.get("/api/quickbooks/customer/abc/sync-status", headers=headers)
        assert bad.status_code == 422
        assert bad.json()["error"] == "invalid_input"


class TestAuth:
    @pytest.mark.parametrize(
        "path",
        [
            "/api/quickbooks/sync-stats",
            "/api/quickbooks/synced-customers",
            "/api/quickbooks/customer/5/sync-status",
            "/api/quickbooks/dashboard-redirect",
        ],
    )
    async def test_token_required_and_org_must_match(self, client, org_id, path) -> None:
        assert (await client.get(path)).status_code == 401
        headers = {**auth_headers(org_id), "X-Organization-Id": str(org_id + 1)}
        mismatch = await client.get(path, headers=headers)
        assert mismatch.status_code == 403
        assert mismatch.json()["error"] == "forbidden"


class TestDashboardRedirect:
    async def test_redirects_to_the_sandbox_company(self, client, org) -> None:
        response = await client.get(
            "/api/quickbooks/dashboard-redirect", headers=auth_headers(org.organization_id)
        )
        assert response.status_code == 302
        assert response.headers["location"] == (
            f"https://app.sandbox.qbo.intuit.com/app/homepage?companyId={org.realm_id}"
        )

    async def test_debug_answers_json_and_production_host(self, client, org, sessionmaker) -> None:
        async with sessionmaker.begin() as session:
            await session.execute(
                update(QuickBooksConnection)
                .where(QuickBooksConnection.organization_id == org.organization_id)
                .values(environment="production")
            )
        response = await client.get(
            "/api/quickbooks/dashboard-redirect",
            params={"debug": "true"},
            headers=auth_headers(org.organization_id),
        )
        assert response.status_code == 200
        assert response.json() == {
            "organizationId": org.organization_id,
            "realmId": org.realm_id,
            "environment": "production",
            "dashboardUrl": f"https://app.qbo.intuit.com/app/homepage?companyId={org.realm_id}",
        }

    async def test_not_connected_is_412(self, client, org, org_id, sessionmaker) -> None:
        never = await client.get(
            "/api/quickbooks/dashboard-redirect", headers=auth_headers(org_id + 1)
        )
        assert never.status_code == 412
        assert never.headers["X-Error-Message"]
        assert never.json()["error"] == "not_connected"
        async with sessionmaker.begin() as session:
            await session.execute(
                update(QuickBooksConnection)
                .where(QuickBooksConnection.organization_id == org.organization_id)
                .values(status=ConnectionStatus.DISCONNECTED)
            )
        gone = await client.get(
            "/api/quickbooks/dashboard-redirect", headers=auth_headers(org.organization_id)
        )
        assert gone.status_code == 412
