"""Our contracts ahead of Aforo: credit notes (metering) and refunds (payment service)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
import respx

from qbsync.aforo.auth import AforoCredentials
from qbsync.aforo.billing import AforoInvoice, BillingClient
from qbsync.aforo.errors import AforoNotFound
from qbsync.aforo.payments import PaymentClient
from tests.aforo.conftest import FAST_RETRY, ORG_ID, claims_of

CREDIT_NOTE = (
    b'{"id":5,"organizationId":9,"customerId":7,"invoiceId":42,"creditNoteNumber":"CN-5",'
    b'"totalAmount":20.10,"currency":"EUR","reason":"outage","status":"ISSUED",'
    b'"issuedAt":"2026-01-07T09:00:00Z","lineItems":[{"lineNumber":1,"description":"Outage",'
    b'"amount":20.10,"taxRate":20}],"somethingNew":true}'
)
REFUND = (
    b'{"refundId":"re 1","organizationId":9,"paymentId":"PAY-7","invoiceId":42,"customerId":7,'
    b'"amount":5.05,"currency":"EUR","refundedAt":1767690000,"reason":"duplicate"}'
)


@pytest.fixture
def billing(metering_http: httpx.AsyncClient, credentials: AforoCredentials) -> BillingClient:
    return BillingClient(metering_http, credentials, retry=FAST_RETRY)


@pytest.fixture
def payments(payment_http: httpx.AsyncClient, credentials: AforoCredentials) -> PaymentClient:
    return PaymentClient(payment_http, credentials, retry=FAST_RETRY)


class TestCreditNote:
    async def test_reads_exact_amounts_and_lines(
        self, billing: BillingClient, metering_mock: respx.MockRouter
    ) -> None:
        route = metering_mock.get("/api/credit-notes/5").mock(
            return_value=httpx.Response(200, content=CREDIT_NOTE)
        )
        note = await billing.get_credit_note(5, org_id=ORG_ID)
        assert (note.invoice_id, note.credit_note_number, note.total_amount) == (
            42,
            "CN-5",
            Decimal("20.10"),
        )
        assert note.line_items[0].tax_rate == Decimal(20)
        assert claims_of(route.calls.last.request)["organizationId"] == ORG_ID

    async def test_another_organizations_note_is_refused(
        self, billing: BillingClient, metering_mock: respx.MockRouter
    ) -> None:
        metering_mock.get("/api/credit-notes/5").mock(
            return_value=httpx.Response(
                200, content=CREDIT_NOTE.replace(b'"organizationId":9', b'"organizationId":8')
            )
        )
        with pytest.raises(AforoNotFound):
            await billing.get_credit_note(5, org_id=ORG_ID)


class TestRefund:
    async def test_reads_the_refund_with_an_escaped_id(
        self, payments: PaymentClient, payment_mock: respx.MockRouter
    ) -> None:
        route = payment_mock.get("/api/refunds/re 1").mock(
            return_value=httpx.Response(200, content=REFUND)
        )
        refund = await payments.get_refund("re 1", org_id=ORG_ID)
        assert (refund.id, refund.payment_id, refund.amount) == ("re 1", "PAY-7", Decimal("5.05"))
        assert refund.refunded_at == datetime.fromtimestamp(1767690000, UTC)
        assert route.calls.last.request.url.raw_path == b"/api/refunds/re%201"


class TestInvoiceMoneyFields:
    def test_currency_tax_and_rate_are_optional_and_exact(self) -> None:
        base = {
            "id": 1,
            "organizationId": 9,
            "customerId": 7,
            "invoiceNumber": "I-1",
            "totalAmount": Decimal("120.00"),
            "lineItems": [{"lineNumber": 1, "amount": Decimal("100.00"), "taxRate": Decimal("20")}],
        }
        assert AforoInvoice.model_validate(base).currency is None
        invoice = AforoInvoice.model_validate(
            {
                **base,
                "currency": "EUR",
                "taxAmount": Decimal("20.00"),
                "exchangeRate": Decimal("1.0842"),
            }
        )
        assert (invoice.currency, invoice.tax_amount, invoice.exchange_rate) == (
            "EUR",
            Decimal("20.00"),
            Decimal("1.0842"),
        )
        assert invoice.line_items[0].tax_rate == Decimal(20)
