"""/api/quickbooks/admin over HTTP: overviews, one-customer sync and the UI's bulk sync."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from fastapi import FastAPI

from qbsync.config import Settings
from qbsync.sync.engine import sync
from tests.api.test_compat import running_ui_app
from tests.tokens import auth_headers

ADMIN = "/api/quickbooks/admin"


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    async with running_ui_app(settings) as application:
        yield application


def _exact(response) -> dict:
    """The body with every JSON fraction as a Decimal, to see the digits that were sent."""
    return json.loads(response.content, parse_float=Decimal)


class TestOverviews:
    async def test_customers_active_against_mappings(self, client, run, org, aforo, stubs) -> None:
        synced = await aforo.customer(customer_name="Synced Co")
        waiting = await aforo.customer(customer_name="Waiting Co", phone_number="+1 555 0100")
        later = await aforo.customer(customer_name="Later Co")
        await aforo.customer(customer_name="Draft Co", status="DRAFT")
        await run(
            sync, kind="customer", organization_id=org.organization_id, aforo_id=synced.customer_id
        )
        headers = auth_headers(org.organization_id)

        response = await client.get(f"{ADMIN}/customer-overview", headers=headers)

        assert response.status_code == 200, response.text
        body = _exact(response)
        assert body["organizationId"] == org.organization_id
        assert body["totalActiveCustomers"] == 3
        assert body["syncedToQuickBooks"] == 1
        assert body["notSyncedToQuickBooks"] == 2
        assert body["syncPercentage"] == Decimal("33.33")
        assert {row["aforoId"] for row in body["unsyncedCustomers"]} == {
            f"CUST-{waiting.customer_id}",
            f"CUST-{later.customer_id}",
        }
        # The caller's own token went to the org service.
        listings = [
            r
            for r in await stubs.requests("org")
            if r.path == "/v1/api/customers" and r.tenant == org.organization_id
        ]
        assert listings
        assert {(r.token_subject, r.query.get("status")) for r in listings} == {
            ("user@example.com", "ACTIVE")
        }

        unsynced = await client.get(f"{ADMIN}/unsynced-customers", headers=headers)
        assert unsynced.status_code == 200
        assert unsynced.json()["total"] == 2
        assert unsynced.json()["message"].startswith("2 customers")
        listed = {row["aforoId"]: row for row in unsynced.json()["customers"]}
        row = listed[f"CUST-{waiting.customer_id}"]
        assert row["customerId"] == waiting.customer_id
        assert row["customerName"] == "Waiting Co"
        assert row["phone"] == "+1 555 0100"
        assert row["email"] == "billing@acme.example"

    async def test_no_customers_is_zero_not_an_error(self, client, org) -> None:
        response = await client.get(
            f"{ADMIN}/customer-overview", headers=auth_headers(org.organization_id)
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["syncedToQuickBooks"], body["notSyncedToQuickBooks"]) == (0, 0)
        assert body["syncPercentage"] == 0

    async def test_invoices_from_metering_against_mappings(self, client, run, org, aforo) -> None:
        customer = await aforo.customer()
        synced = await aforo.invoice(customer)
        waiting = await aforo.invoice(customer, lines=[("Flat Fee", "99.90")])
        await run(sync, kind="invoice", organization_id=org.organization_id, aforo_id=synced.id)

        response = await client.get(
            f"{ADMIN}/invoice-overview", headers=auth_headers(org.organization_id)
        )

        assert response.status_code == 200, response.text
        body = _exact(response)
        assert (body["totalInvoices"], body["syncedToQuickBooks"]) == (2, 1)
        assert body["notSyncedToQuickBooks"] == 1
        [row] = body["unsyncedInvoices"]
        assert row["aforoId"] == f"invoice-{waiting.id}"
        assert row["invoiceNumber"] == waiting.invoice_number
        assert row["totalAmount"] == Decimal("99.90")
        assert b'"totalAmount":99.90' in response.content
        assert body["syncPercentage"] == Decimal("50.00")


class TestSyncOneCustomer:
    async def test_create_then_update(self, client, org, aforo, stubs, emulator_control) -> None:
        customer = await aforo.customer(customer_name="Initech")
        headers = auth_headers(org.organization_id)
        path = f"{ADMIN}/sync-customer/{customer.customer_id}"

        created = await client.post(path, headers=headers)

        assert created.status_code == 200, created.text
        body = created.json()
        assert body["success"] is True
        assert body["action"] == "CREATE"
        assert body["aforoId"] == f"CUST-{customer.customer_id}"
        assert body["customerName"] == "Initech"
        [held] = await emulator_control.live(org.realm_id, "Customer")
        assert body["quickBooksId"] == held.id

        await stubs.put_customer(
            org.organization_id, customer.model_copy(update={"phone_number": "+1 555 0199"})
        )
        updated = await client.post(
            f"{ADMIN}/sync-customer/CUST-{customer.customer_id}", headers=headers
        )
        assert updated.status_code == 200
        assert updated.json()["action"] == "UPDATE"
        assert updated.json()["quickBooksId"] == body["quickBooksId"]

    async def test_refusals(self, client, org, org_id, aforo) -> None:
        draft = await aforo.customer(status="DRAFT")
        headers = auth_headers(org.organization_id)
        not_active = await client.post(
            f"{ADMIN}/sync-customer/{draft.customer_id}", headers=headers
        )
        assert not_active.status_code == 400
        assert not_active.json()["success"] is False
        assert "ACTIVE" in not_active.json()["message"]

        missing = await client.post(f"{ADMIN}/sync-customer/999999999", headers=headers)
        assert missing.status_code == 404

        not_connected = await client.post(
            f"{ADMIN}/sync-customer/{draft.customer_id}", headers=auth_headers(org_id + 1)
        )
        assert not_connected.status_code == 400
        assert "not connected" in not_connected.json()["message"]


class TestBulkSync:
    async def test_syncs_only_what_is_missing(
        self, client, run, org, aforo, emulator_control
    ) -> None:
        first = await aforo.customer(customer_name="Alpha Ltd")
        pending = [await aforo.customer(customer_name=f"Beta {n} Ltd") for n in range(3)]
        await aforo.customer(customer_name="Draft Ltd", status="DRAFT")
        await run(
            sync, kind="customer", organization_id=org.organization_id, aforo_id=first.customer_id
        )
        headers = auth_headers(org.organization_id)

        response = await client.post(f"{ADMIN}/bulk-sync-customers", headers=headers)

        assert response.status_code == 200, response.text
        body = response.json()
        assert "completed" in body["message"]
        assert body["message"] == "Bulk sync completed: 3 succeeded, 0 failed out of 3 customers"
        assert (body["totalActiveCustomers"], body["alreadySynced"]) == (4, 1)
        assert (body["attemptedToSync"], body["successCount"], body["failureCount"]) == (3, 3, 0)
        assert {r["aforoId"] for r in body["syncResults"]} == {
            f"CUST-{c.customer_id}" for c in pending
        }
        assert all(r["status"] == "SUCCESS" and r["quickBooksId"] for r in body["syncResults"])
        assert len(await emulator_control.live(org.realm_id, "Customer")) == 4

        overview = await client.get(f"{ADMIN}/customer-overview", headers=headers)
        assert overview.json()["notSyncedToQuickBooks"] == 0

        again = await client.post(f"{ADMIN}/bulk-sync-customers", headers=headers)
        assert again.status_code == 200
        assert "completed" in again.json()["message"]
        assert (again.json()["alreadySynced"], again.json()["attemptedToSync"]) == (4, 0)
        assert again.json()["syncResults"] == []
        assert len(await emulator_control.live(org.realm_id, "Customer")) == 4

    async def test_a_failure_is_counted_and_retried_next_time(
        self, client, org, aforo, emulator_control
    ) -> None:
        customer = await aforo.customer(customer_name="Flaky Inc")
        # Every attempt of the client's retry policy meets a 500.
        await emulator_control.queue_fault(
            "http_500", realm_id=org.realm_id, method="POST", path_contains="/customer", count=5
        )
        headers = auth_headers(org.organization_id)

        failed = await client.post(f"{ADMIN}/bulk-sync-customers", headers=headers)

        assert failed.status_code == 200
        body = failed.json()
        assert "completed" in body["message"]
        assert (body["successCount"], body["failureCount"]) == (0, 1)
        [row] = body["syncResults"]
        assert row["status"] == "FAILED"
        assert row["customerId"] == customer.customer_id
        assert row["error"]
        retried = await client.post(f"{ADMIN}/bulk-sync-customers", headers=headers)
        assert (retried.json()["successCount"], retried.json()["failureCount"]) == (1, 0)

    async def test_nothing_to_do_still_completes(self, client, org) -> None:
        response = await client.post(
            f"{ADMIN}/bulk-sync-customers", headers=auth_headers(org.organization_id)
        )
        assert response.status_code == 200
        assert response.json()["message"] == (
            "Bulk sync completed: 0 succeeded, 0 failed out of 0 customers"
        )

    async def test_not_connected_is_400(self, client, org_id) -> None:
        response = await client.post(f"{ADMIN}/bulk-sync-customers", headers=auth_headers(org_id))
        assert response.status_code == 400
        body = response.json()
        assert body["success"] is False
        assert body["message"].startswith("QuickBooks not connected")
        assert body["action"]

    async def test_requires_a_token(self, client) -> None:
        assert (await client.post(f"{ADMIN}/bulk-sync-customers")).status_code == 401
        assert (await client.get(f"{ADMIN}/customer-overview")).status_code == 401
