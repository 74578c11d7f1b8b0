"""The Aforo stubs through the real clients: what the stubs serve, the clients accept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from qbo_emulator.aforo import (
    AforoStubControl,
    AforoStubStore,
    StubInvoice,
    StubInvoiceLine,
    StubPayment,
    StubRatePlan,
    aforo_stub_router,
)
from qbsync.aforo.auth import AforoCredentials
from qbsync.aforo.billing import BillingClient
from qbsync.aforo.errors import AforoNotFound, AforoNotReady, AforoRejected, AforoUnavailable
from qbsync.aforo.orgs import OrgClient
from qbsync.aforo.payments import PaymentClient
from qbsync.aforo.rateplans import RatePlanClient
from tests.aforo.conftest import FAST_RETRY, OTHER_SECRET, SECRET, caller_token

BASE_URL = "http://stubs.test"
ORG = 1


@pytest.fixture
def store() -> AforoStubStore:
    return AforoStubStore()


@pytest.fixture
async def http(store: AforoStubStore) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(aforo_stub_router(store, jwt_secret=SECRET.get_secret_value()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        yield client


@pytest.fixture
def credentials() -> AforoCredentials:
    # Real time here: the stubs check expiry against the wall clock, as the services do.
    return AforoCredentials(SECRET, 300)


@pytest.fixture
def control(http: httpx.AsyncClient) -> AforoStubControl:
    return AforoStubControl(BASE_URL, http)


# One shared pool without a base URL, as resources.py wires the Aforo clients.
@pytest.fixture
def orgs(http: httpx.AsyncClient, credentials: AforoCredentials) -> OrgClient:
    return OrgClient(http, credentials, base_url=BASE_URL, retry=FAST_RETRY)


@pytest.fixture
def billing(http: httpx.AsyncClient, credentials: AforoCredentials) -> BillingClient:
    return BillingClient(http, credentials, base_url=BASE_URL, retry=FAST_RETRY)


@pytest.fixture
def rate_plans(http: httpx.AsyncClient, credentials: AforoCredentials) -> RatePlanClient:
    return RatePlanClient(http, credentials, base_url=BASE_URL, retry=FAST_RETRY)


@pytest.fixture
def payments(http: httpx.AsyncClient, credentials: AforoCredentials) -> PaymentClient:
    return PaymentClient(http, credentials, base_url=BASE_URL, retry=FAST_RETRY)


class TestSeedThroughTheClients:
    async def test_active_customers_leave_out_the_draft(self, orgs: OrgClient) -> None:
        customers = await orgs.list_active_customers(org_id=ORG)

        assert [customer.customer_id for customer in customers] == [1, 2, 3]

    async def test_a_customer_with_quotes_a_colon_and_non_ascii_round_trips(
        self, orgs: OrgClient
    ) -> None:
        customer = await orgs.get_customer(2, org_id=ORG)

        assert customer.customer_name == 'Zoë "ZZ" Müller: Café Ünïcode'
        assert customer.customer_address_line1 == "Königstraße 7"

    async def test_a_customer_of_another_org_is_not_found(self, orgs: OrgClient) -> None:
        with pytest.raises(AforoNotFound):
            await orgs.get_customer(2, org_id=ORG + 1)

    async def test_invoice_lines_come_sorted_with_exact_negative_and_zero_amounts(
        self, billing: BillingClient
    ) -> None:
        invoice = await billing.get_invoice(102, org_id=ORG)

        assert [(line.line_number, str(line.amount)) for line in invoice.line_items] == [
            (1, "150.00"),
            (2, "0.00"),
            (3, "-15.00"),
        ]
        assert str(invoice.total_amount) == "135.00"
        assert invoice.created_at == datetime(2026, 1, 12, 0, 10, 0, 123456, tzinfo=UTC)
        assert invoice.billing_frequency == "WEEKLY"

    async def test_invoice_list_is_newest_first(self, billing: BillingClient) -> None:
        invoices = await billing.list_invoices(org_id=ORG)

        assert [invoice.id for invoice in invoices] == [103, 102, 101]

    async def test_rate_plan_names_and_org_scoping(self, rate_plans: RatePlanClient) -> None:
        plan = await rate_plans.get_rate_plan(5, org_id=ORG)

        assert plan.rate_plan_name == "Pro Monthly"
        with pytest.raises(AforoNotFound):
            await rate_plans.get_rate_plan(5, org_id=ORG + 1)

    async def test_payment(self, payments: PaymentClient) -> None:
        payment = await payments.get_payment("PAY-1001", org_id=ORG)

        assert (payment.invoice_id, payment.amount) == (103, Decimal("200.00"))
        assert payment.paid_at == datetime(2026, 1, 16, 12, 0, 0, 42000, tzinfo=UTC)


class TestWireShape:
    async def test_invoice_json_is_jackson_like(self, http: httpx.AsyncClient) -> None:
        token = caller_token(orgId=ORG, exp=int(datetime.now(UTC).timestamp()) + 600)
        headers = {"Authorization": f"Bearer {token}"}

        first = (await http.get(f"{BASE_URL}/api/invoices/101", headers=headers)).text
        second = (await http.get(f"{BASE_URL}/api/invoices/102", headers=headers)).text
        third = (await http.get(f"{BASE_URL}/api/invoices/103", headers=headers)).text

        assert '"totalAmount":210.00' in first
        assert '"billingPeriodStart":"2026-01-01T00:00:00Z"' in first
        assert '"quantity":null,"unitPrice":null' in first
        assert '"notes":null' in first
        assert '"createdAt":"2026-01-12T00:10:00.123456Z"' in second
        assert '"amount":-15.00' in second
        assert '"createdAt":"2026-01-14T09:30:00.500Z"' in third

    async def test_a_missing_invoice_is_404_with_an_empty_body(
        self, http: httpx.AsyncClient
    ) -> None:
        token = caller_token(orgId=ORG, exp=int(datetime.now(UTC).timestamp()) + 600)

        response = await http.get(
            f"{BASE_URL}/api/invoices/999", headers={"Authorization": f"Bearer {token}"}
        )

        assert (response.status_code, response.content) == (404, b"")


class TestAuth:
    @pytest.mark.parametrize(
        "authorization",
        [
            None,
            "Bearer not-a-token",
            "Basic dXNlcjpwYXNz",
            "Bearer " + caller_token(orgId=ORG, exp=1),
            "Bearer " + caller_token(secret=OTHER_SECRET, orgId=ORG, exp=4102444800),
        ],
        ids=["missing", "garbage", "basic", "expired", "foreign-secret"],
    )
    async def test_refuses_without_a_valid_token(
        self, http: httpx.AsyncClient, store: AforoStubStore, authorization: str | None
    ) -> None:
        headers = {"Authorization": authorization} if authorization else {}

        response = await http.get(f"{BASE_URL}/api/invoices/101", headers=headers)

        assert (response.status_code, response.content) == (401, b"")
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert store.requests[-1].status == 401

    async def test_the_client_with_the_wrong_secret_is_rejected(
        self, http: httpx.AsyncClient
    ) -> None:
        wrong = AforoCredentials(SecretStr(OTHER_SECRET.get_secret_value()), 300)
        billing = BillingClient(http, wrong, base_url=BASE_URL, retry=FAST_RETRY)

        with pytest.raises(AforoRejected) as raised:
            await billing.get_invoice(101, org_id=ORG)

        assert raised.value.upstream_status == 401

    async def test_the_org_header_wins_over_the_claim(self, http: httpx.AsyncClient) -> None:
        token = caller_token(organizationId=ORG, exp=int(datetime.now(UTC).timestamp()) + 600)
        url = f"{BASE_URL}/v1/api/customers"

        by_claim = await http.get(url, headers={"Authorization": f"Bearer {token}"})
        by_header = await http.get(
            url, headers={"Authorization": f"Bearer {token}", "X-Organization-Id": "2"}
        )

        assert len(by_claim.json()) == 4
        assert by_header.json() == []

    async def test_requests_are_logged_with_the_callers_identity(
        self, billing: BillingClient, control: AforoStubControl
    ) -> None:
        await billing.get_invoice(101, org_id=ORG)

        [logged] = await control.requests("metering")
        assert (logged.method, logged.path, logged.status) == ("GET", "/api/invoices/101", 200)
        assert (logged.token_subject, logged.token_org_id) == ("qbsync", ORG)
        assert (logged.organization_header, logged.tenant) == (str(ORG), ORG)


class TestKnobs:
    async def test_not_ready_reads_are_retried_by_the_client(
        self, billing: BillingClient, control: AforoStubControl
    ) -> None:
        await control.not_ready(101, count=1)

        invoice = await billing.get_invoice(101, org_id=ORG)

        assert invoice.id == 101
        assert [r.status for r in await control.requests("metering")] == [404, 200]

    async def test_not_ready_for_longer_than_the_client_waits(
        self, billing: BillingClient, control: AforoStubControl
    ) -> None:
        await control.not_ready(101, count=FAST_RETRY.max_attempts)

        with pytest.raises(AforoNotReady):
            await billing.get_invoice(101, org_id=ORG)

    async def test_injected_failures_are_retried_then_surface(
        self, orgs: OrgClient, control: AforoStubControl
    ) -> None:
        await control.fail("org", status=503, count=1)
        assert len(await orgs.list_active_customers(org_id=ORG)) == 3

        await control.fail("org", status=500, count=FAST_RETRY.max_attempts)
        with pytest.raises(AforoUnavailable) as raised:
            await orgs.list_active_customers(org_id=ORG)
        assert raised.value.upstream_status == 500

    async def test_a_failure_knob_touches_only_its_service(
        self, billing: BillingClient, rate_plans: RatePlanClient, control: AforoStubControl
    ) -> None:
        await control.fail("rateplan", status=503, count=FAST_RETRY.max_attempts)

        assert (await billing.get_invoice(101, org_id=ORG)).id == 101
        with pytest.raises(AforoUnavailable):
            await rate_plans.get_rate_plan(5, org_id=ORG)


class TestControl:
    async def test_a_put_invoice_is_served_to_its_org(
        self, billing: BillingClient, control: AforoStubControl
    ) -> None:
        at = datetime(2026, 3, 1, tzinfo=UTC)
        await control.put_invoice(
            StubInvoice(
                id=500,
                organization_id=2,
                customer_id=40,
                invoice_number="INV-NEW",
                total_amount=Decimal("0.10"),
                billing_period_start=at,
                billing_period_end=at,
                created_at=at,
                updated_at=at,
                line_items=[
                    StubInvoiceLine(
                        id=1, line_number=1, description="Usage", amount=Decimal("0.10")
                    )
                ],
            )
        )

        [invoice] = await billing.list_invoices(org_id=2)

        assert (invoice.id, invoice.total_amount) == (500, Decimal("0.10"))

    async def test_a_customer_put_in_the_real_shape_is_served(
        self, http: httpx.AsyncClient, orgs: OrgClient
    ) -> None:
        body = '{"customerName":"New Co","status":"ACTIVE","billingSameAsCustomer":true}'

        put = await http.put(f"{BASE_URL}/_stubs/orgs/7/customers/70", content=body)
        customer = await orgs.get_customer(70, org_id=7)

        assert put.status_code == 200
        assert (customer.customer_id, customer.customer_name) == (70, "New Co")

    async def test_a_body_off_the_schema_is_refused(self, http: httpx.AsyncClient) -> None:
        response = await http.put(f"{BASE_URL}/_stubs/rateplans/9", content='{"ratePlanName":"X"}')

        assert response.status_code == 422
        assert "organizationId" in response.text

    async def test_reset_restores_the_seed_and_clears_knobs(
        self, billing: BillingClient, control: AforoStubControl, store: AforoStubStore
    ) -> None:
        store.invoices.clear()
        await control.not_ready(101, count=10)

        await control.reset()

        assert (await billing.get_invoice(101, org_id=ORG)).id == 101
        assert [r.status for r in await control.requests()] == [200]

    async def test_put_rate_plan_and_payment_through_the_wrapper(
        self,
        http: httpx.AsyncClient,
        control: AforoStubControl,
        rate_plans: RatePlanClient,
        payments: PaymentClient,
    ) -> None:
        await control.put_rate_plan(
            StubRatePlan(rate_plan_id=9, organization_id=2, rate_plan_name="Nine")
        )
        await control.put_payment(
            StubPayment(
                id="P 1/2",
                organization_id=2,
                customer_id=40,
                invoice_id=500,
                amount=Decimal("12.34"),
                paid_at=datetime(2026, 3, 2, tzinfo=UTC),
            )
        )

        plan = await rate_plans.get_rate_plan(9, org_id=2)
        payment = await payments.get_payment("P 1/2", org_id=2)

        assert plan.rate_plan_name == "Nine"
        assert (payment.id, payment.amount) == ("P 1/2", Decimal("12.34"))
        token = caller_token(orgId=2, exp=int(datetime.now(UTC).timestamp()) + 600)
        raw = await http.get(
            f"{BASE_URL}/api/rateplans/9", headers={"Authorization": f"Bearer {token}"}
        )
        assert "organizationId" not in raw.json()
