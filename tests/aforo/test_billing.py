"""The metering client against respx: real payloads, the not-ready race, error mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
import respx

from qbsync.aforo.auth import AforoCredentials
from qbsync.aforo.base import MAX_RETRY_AFTER_S, AforoRetry
from qbsync.aforo.billing import AforoInvoiceStatus, BillingClient
from qbsync.aforo.errors import (
    AforoBadPayload,
    AforoNotFound,
    AforoNotReady,
    AforoRejected,
    AforoUnavailable,
)
from tests.aforo.conftest import FAST_RETRY, ORG_ID, START, TTL_S, caller_token, claims_of
from tests.aforo.samples import INVOICE_42, INVOICE_BARE_LIST, INVOICE_PAGE

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def billing(metering_http: httpx.AsyncClient, credentials: AforoCredentials) -> BillingClient:
    return BillingClient(metering_http, credentials, retry=FAST_RETRY)


def _ok(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers=JSON)


class TestGetInvoice:
    async def test_parses_the_real_entity_with_exact_decimals(
        self, billing: BillingClient, metering_mock: respx.MockRouter
    ) -> None:
        metering_mock.get("/api/invoices/42").mock(return_value=_ok(INVOICE_42))

        invoice = await billing.get_invoice(42, org_id=ORG_ID)

        assert (invoice.id, invoice.organization_id, invoice.customer_id) == (42, 9, 9)
        assert (invoice.subscription_id, invoice.rate_plan_id) == (17, 5)
        assert invoice.invoice_number == "INV-MK2J4Z1A9X"
        assert invoice.total_amount == Decimal("210.00")
        assert str(invoice.total_amount) == "210.00"
        assert invoice.billing_frequency == "MONTHLY"
        assert invoice.status is AforoInvoiceStatus.DRAFT
        assert invoice.notes is None
        assert invoice.billing_period_start == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
        assert invoice.billing_period_end == datetime(2026, 1, 5, 10, 10, 0, 123456, tzinfo=UTC)
        assert invoice.created_at == datetime(2026, 1, 5, 10, 10, 0, 123000, tzinfo=UTC)
        # Nanoseconds (Instant.toString can write 9 digits) are cut to microseconds.
        assert invoice.updated_at == datetime(2026, 1, 5, 10, 10, 0, 123456, tzinfo=UTC)
        assert invoice.updated_at is not None
        assert invoice.updated_at.utcoffset() is not None

    async def test_lines_come_sorted_with_negative_and_zero_amounts(
        self, billing: BillingClient, metering_mock: respx.MockRouter
    ) -> None:
        metering_mock.get("/api/invoices/42").mock(return_value=_ok(INVOICE_42))

        invoice = await billing.get_invoice(42, org_id=ORG_ID)

        assert [
            (line.line_number, line.description, str(line.amount)) for line in invoice.line_items
        ] == [
            (1, "Flat Fee", "200.00"),
            (2, "Overage Charges", "30.00"),
            (3, "Discount (10%)", "-20.00"),
            (4, "Freemium Credit", "0.00"),
        ]
        assert invoice.line_items[1].calculation == "60 * 0.5"
        assert invoice.line_items[3].calculation is None
        assert all(line.quantity is None and line.unit_price is None for line in invoice.line_items)
        assert sum(line.amount for line in invoice.line_items) == invoice.total_amount

    async def test_sends_a_minted_token_and_the_org_header(
        self, billing: BillingClient, metering_mock: respx.MockRouter
    ) -> None:
        route = metering_mock.get("/api/invoices/42").mock(return_value=_ok(INVOICE_42))

        await billing.get_invoice(42, org_id=ORG_ID)

        request = route.calls.last.request
        assert request.headers["X-Organization-Id"] == str(ORG_ID)
        claims = claims_of(request)
        assert claims["sub"] == "qbsync"
        assert claims["type"] == "service"
        assert (claims["organizationId"], claims["orgId"]) == (ORG_ID, ORG_ID)
        assert claims["exp"] == int(START.timestamp()) + TTL_S

    async def test_forwards_the_webhook_token_while_it_is_valid(
        self, billing: BillingClient, metering_mock: respx.MockRouter
    ) -> None:
        token = caller_token(
            sub="metering-service", organizationId=ORG_ID, exp=int(START.timestamp()) + 7200
        )
        route = metering_mock.get("/api/invoices/42").mock(return_value=_ok(INVOICE_42))

        await billing.get_invoice(42, org_id=ORG_ID, caller_token=token)

        assert route.calls.last.request.headers["Authorization"] == f"Bearer {token}"

    async def test_mints_when_the_webhook_token_has_expired(
        self, billing: BillingClient, metering_mock: respx.MockRouter
    ) -> None:
        token = caller_token(
            sub="metering-service", organizationId=ORG_ID, exp=int(START.timestamp()) - 1
        )
        route = metering_mock.get("/api/invoices/42").mock(return_value=_ok(INVOICE_42))

        await billing.get_invoice(42, org_id=ORG_ID, caller_token=token)

        assert claims_of(route.calls.last.request)["sub"] == "qbsync"

    async def test_a_404_right_after_the_webhook_is_asked_again_once(
        self, billing: BillingClient, metering_mock: respx.MockRouter
    ) -> None:
        route = metering_mock.get("/api/invoices/42").mock(
            side_effect=[httpx.Response(404), _ok(INVOICE_42)]
        )

        invoice = await billing.get_invoice(42, org_id=ORG_ID)

        assert invoice.id == 42
        assert route.call_count == 2

    async def test_a_404_that_persists_is_not_ready_and_retryable(
        self, billing: BillingClient, metering_mock: respx.MockRouter
    ) -> None:
        route = metering_mock.get("/api/invoices/42").mock(return_value=httpx.Response(404))

        with pytest.raises(AforoNotReady) as raised:
            await billing.get_invoice(42, org_id=ORG_ID)

        # Cheap: two GETs, not the four a transient failure gets; the event's own delayed
        # retries (two of them, see AforoNotReady.retry_budget) wait longer.
        assert route.call_count == 2 < FAST_RETRY.max_attempts
        assert raised.value.retryable is True
        assert raised.value.retry_budget == 2
        assert raised.value.category == "DEPENDENCY"
        assert (raised.value.service, raised.value.upstream_status) == ("metering", 404)

    async def test_503_is_retried_then_unavailable(
        self, billing: BillingClient, metering_mock: respx.MockRouter
    ) -> None:
        route = metering_mock.get("/api/invoices/42").mock(return_value=httpx.Response(503))

        with pytest.raises(AforoUnavailable) as raised:
            await billing.get_invoice(42, org_id=ORG_ID)

        assert route.call_count == FAST_RETRY.max_attempts
        assert raised.value.retryable is True
        assert raised.value.category == "TRANSIENT"
        assert raised.value.upstream_status == 503

    async def test_a_transient_failure_then_success_returns_the_invoice(
        self, billing: BillingClient, metering_mock: respx.MockRouter
    ) -> None:
        metering_mock.get("/api/invoices/42").mock(
            side_effect=[httpx.ConnectError("refused"), httpx.Response(502), _ok(INVOICE_42)]
        )

        invoice = await billing.get_invoice(42, org_id=ORG_ID)

        assert invoice.total_amount == Decimal("210.00")

    async def test_network_errors_become_unavailable(
        self, billing: BillingClient, metering_mock: respx.MockRouter
    ) -> None:
        metering_mock.get("/api/invoices/42").mock(side_effect=httpx.ReadTimeout("slow"))

        with pytest.raises(AforoUnavailable) as raised:
            await billing.get_invoice(42, org_id=ORG_ID)

        assert raised.value.upstream_status is None
        assert raised.value.hint == "ReadTimeout"

    @pytest.mark.parametrize("status", [400, 401, 403])
    async def test_other_client_errors_are_rejected_without_retry(
        self, billing: BillingClient, metering_mock: respx.MockRouter, status: int
    ) -> None:
        route = metering_mock.get("/api/invoices/42").mock(return_value=httpx.Response(status))

        with pytest.raises(AforoRejected) as raised:
            await billing.get_invoice(42, org_id=ORG_ID)

        assert route.call_count == 1
        assert raised.value.retryable is False
        assert raised.value.upstream_status == status

    @pytest.mark.parametrize(
        "body",
        [
            b'{"id":42,"organizationId":9}',  # required fields missing
            b'{"id":42,"organizationId":9,"customerId":9,"invoiceNumber":"X","totalAmount":"lots"}',
            b"<html>gateway</html>",
            b"",
            b'{"id":42,"organizationId":9,"customerId":9,"invoiceNumber":"X","totalAmount":NaN}',
        ],
    )
    async def test_a_body_off_the_schema_is_a_bad_payload_without_retry(
        self, billing: BillingClient, metering_mock: respx.MockRouter, body: bytes
    ) -> None:
        route = metering_mock.get("/api/invoices/42").mock(return_value=_ok(body))

        with pytest.raises(AforoBadPayload) as raised:
            await billing.get_invoice(42, org_id=ORG_ID)

        assert route.call_count == 1
        assert raised.value.retryable is False
        assert raised.value.category == "INVALID_INPUT"


class TestListInvoices:
    @pytest.mark.parametrize("body", [INVOICE_PAGE, INVOICE_BARE_LIST], ids=["wrapped", "bare"])
    async def test_reads_both_list_shapes(
        self, billing: BillingClient, metering_mock: respx.MockRouter, body: bytes
    ) -> None:
        route = metering_mock.get("/api/invoices").mock(return_value=_ok(body))

        invoices = await billing.list_invoices(org_id=ORG_ID)

        assert [invoice.id for invoice in invoices] == [43, 42]
        # 0.30 is not a float in disguise.
        assert invoices[0].total_amount == Decimal("0.30")
        assert invoices[0].line_items[0].amount == Decimal("0.30")
        # A status metering may add later does not break the read.
        assert invoices[0].status == "FINALIZED"
        assert invoices[0].subscription_id is None
        assert invoices[0].created_at == datetime(2026, 2, 28, 23, 59, 59, 900000, tzinfo=UTC)
        request = route.calls.last.request
        assert request.url.query == b""
        assert request.headers["X-Organization-Id"] == str(ORG_ID)

    async def test_a_404_on_the_list_is_not_found(
        self, billing: BillingClient, metering_mock: respx.MockRouter
    ) -> None:
        route = metering_mock.get("/api/invoices").mock(return_value=httpx.Response(404))

        with pytest.raises(AforoNotFound):
            await billing.list_invoices(org_id=ORG_ID)

        assert route.call_count == 1


class TestThrottling:
    async def test_429_is_unavailable_and_carries_the_capped_server_delay(
        self,
        metering_http: httpx.AsyncClient,
        credentials: AforoCredentials,
        metering_mock: respx.MockRouter,
    ) -> None:
        billing = BillingClient(metering_http, credentials, retry=AforoRetry(max_attempts=1))
        metering_mock.get("/api/invoices/42").mock(
            return_value=httpx.Response(429, headers={"Retry-After": "120"})
        )

        with pytest.raises(AforoUnavailable) as raised:
            await billing.get_invoice(42, org_id=ORG_ID)

        assert raised.value.upstream_status == 429
        assert raised.value.retry_after_s == MAX_RETRY_AFTER_S


class TestAnotherOrganizationsInvoice:
    """Metering serves any id to any token: another organization's invoice is a 404."""

    async def test_is_answered_exactly_as_a_missing_one(
        self, billing: BillingClient, metering_mock: respx.MockRouter
    ) -> None:
        theirs = metering_mock.get("/api/invoices/42").mock(return_value=_ok(INVOICE_42))
        missing = metering_mock.get("/api/invoices/43").mock(return_value=httpx.Response(404))

        with pytest.raises(AforoNotReady) as foreign:
            await billing.get_invoice(42, org_id=ORG_ID + 1)
        with pytest.raises(AforoNotReady) as absent:
            await billing.get_invoice(43, org_id=ORG_ID + 1)

        assert str(foreign.value).replace("42", "43") == str(absent.value)
        assert foreign.value.upstream_status == absent.value.upstream_status == 404
        assert theirs.call_count == missing.call_count  # the same retries: no timing tell
