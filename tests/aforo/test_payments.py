"""The payment service client against respx."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
import respx

from qbsync.aforo.auth import AforoCredentials
from qbsync.aforo.errors import AforoBadPayload
from qbsync.aforo.payments import PaymentClient
from tests.aforo.conftest import FAST_RETRY, ORG_ID, claims_of

PAYMENT = (
    b'{"id":"PAY/7 1","organizationId":9,"customerId":7,"invoiceId":42,"amount":105.10,'
    b'"currency":"EUR","paymentMethod":"CARD","paidAt":"2026-01-06T08:30:00.5Z",'
    b'"reference":"ch_123","gateway":"stripe"}'
)


@pytest.fixture
def payments(payment_http: httpx.AsyncClient, credentials: AforoCredentials) -> PaymentClient:
    return PaymentClient(payment_http, credentials, retry=FAST_RETRY)


class TestGetPayment:
    async def test_reads_the_payment_with_an_exact_amount_and_an_escaped_id(
        self, payments: PaymentClient, payment_mock: respx.MockRouter
    ) -> None:
        route = payment_mock.get("/api/payments/PAY/7 1").mock(
            return_value=httpx.Response(200, content=PAYMENT)
        )

        payment = await payments.get_payment("PAY/7 1", org_id=ORG_ID)

        assert payment.id == "PAY/7 1"
        assert (payment.organization_id, payment.customer_id, payment.invoice_id) == (9, 7, 42)
        assert payment.amount == Decimal("105.10")
        assert (payment.currency, payment.payment_method, payment.reference) == (
            "EUR",
            "CARD",
            "ch_123",
        )
        assert payment.paid_at == datetime(2026, 1, 6, 8, 30, 0, 500000, tzinfo=UTC)
        request = route.calls.last.request
        # Escaped as one path segment, so the slash cannot reach another route.
        assert request.url.raw_path == b"/api/payments/PAY%2F7%201"
        assert claims_of(request)["organizationId"] == ORG_ID

    async def test_accepts_a_numeric_id_and_epoch_seconds(
        self, payments: PaymentClient, payment_mock: respx.MockRouter
    ) -> None:
        payment_mock.get("/api/payments/77").mock(
            return_value=httpx.Response(
                200,
                content=b'{"id":77,"organizationId":9,"customerId":7,"invoiceId":42,'
                b'"amount":5,"paidAt":1767690000}',
            )
        )

        payment = await payments.get_payment(77, org_id=ORG_ID)

        assert payment.id == "77"
        assert payment.amount == Decimal(5)
        assert payment.paid_at == datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
        assert payment.currency is None

    async def test_a_payment_without_an_amount_is_a_bad_payload(
        self, payments: PaymentClient, payment_mock: respx.MockRouter
    ) -> None:
        payment_mock.get("/api/payments/77").mock(
            return_value=httpx.Response(
                200,
                json={"id": 77, "organizationId": 9, "customerId": 7, "invoiceId": 42},
            )
        )

        with pytest.raises(AforoBadPayload) as raised:
            await payments.get_payment(77, org_id=ORG_ID)

        assert raised.value.service == "payment"
