"""Manual sync routes and metering's invoice webhook, over HTTP."""

from __future__ import annotations

import aio_pika
import httpx
import pytest
from asgi_lifespan import LifespanManager

from qbsync.app import create_app
from tests.settings import make_settings
from tests.tokens import auth_headers, make_jwt


async def _queue_depth(url: str, queue: str) -> int:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return declared.declaration_result.message_count or 0


class TestManualSync:
    async def test_customer_by_query_body_or_prefixed_id(
        self, client, org, aforo, emulator_control
    ) -> None:
        customer = await aforo.customer(customer_name="Umbrella Corp")
        headers = auth_headers(org.organization_id)
        first = await client.post(
            "/api/quickbooks/sync/customer",
            params={"customerId": customer.customer_id},
            headers=headers,
        )
        assert first.status_code == 200, first.text
        body = first.json()
        assert body["status"] == "success"
        assert body["action"] == "CREATE"
        assert body["aforoCustomerId"] == f"CUST-{customer.customer_id}"
        assert body["quickbooksCustomerId"]
        again = await client.post(
            "/api/quickbooks/sync/customer",
            json={"aforoCustomerId": f"CUST-{customer.customer_id}", "customerName": "ignored"},
            headers=headers,
        )
        assert again.status_code == 200
        assert again.json()["action"] == "SKIP"
        assert again.json()["quickbooksCustomerId"] == body["quickbooksCustomerId"]
        assert len(await emulator_control.live(org.realm_id, "Customer")) == 1

    async def test_invoice_and_payment(self, client, org, aforo) -> None:
        customer = await aforo.customer()
        invoice = await aforo.invoice(customer)
        payment = await aforo.payment(invoice, "20.00")
        headers = auth_headers(org.organization_id)
        synced = await client.post(
            "/api/quickbooks/sync/invoice", json={"invoiceId": invoice.id}, headers=headers
        )
        assert synced.status_code == 200
        assert synced.json()["aforoInvoiceId"] == f"invoice-{invoice.id}"
        paid = await client.post(
            "/api/quickbooks/sync/payment", params={"paymentId": payment.id}, headers=headers
        )
        assert paid.status_code == 200
        assert paid.json()["quickbooksPaymentId"]

    async def test_honest_status_codes(self, client, org, org_id) -> None:
        missing = await client.post(
            "/api/quickbooks/sync/customer",
            params={"customerId": 999999999},
            headers=auth_headers(org.organization_id),
        )
        assert missing.status_code == 404
        assert missing.json()["status"] == "error"
        not_connected = await client.post(
            "/api/quickbooks/sync/customer",
            params={"customerId": 1},
            headers=auth_headers(org_id + 1),
        )
        assert not_connected.status_code == 409
        assert not_connected.json()["error"] == "not_connected"
        no_id = await client.post(
            "/api/quickbooks/sync/invoice", headers=auth_headers(org.organization_id)
        )
        assert no_id.status_code == 422
        bad_id = await client.post(
            "/api/quickbooks/sync/invoice",
            params={"invoiceId": "abc"},
            headers=auth_headers(org.organization_id),
        )
        assert bad_id.status_code == 422

    async def test_requires_a_token(self, client) -> None:
        response = await client.post("/api/quickbooks/sync/customer", params={"customerId": 1})
        assert response.status_code == 401

    async def test_async_trigger_queues_the_work(self, client, app, org) -> None:
        response = await client.post(
            "/api/quickbooks/sync/customer",
            params={"customerId": 5, "async": "true"},
            headers=auth_headers(org.organization_id),
        )
        assert response.status_code == 202
        amqp = app.state.resources.settings.amqp
        assert await _queue_depth(amqp.url, amqp.work_queue("customer.activated")) == 1


class TestInvoiceWebhook:
    def _body(self, org_id: int, token: str | None) -> dict:
        return {
            "invoiceId": 4242,
            "organizationId": org_id,
            "customerId": 9,
            "invoiceNumber": "INV-1X2Y3Z",
            "totalAmount": 210.5,
            "jwtToken": token,
        }

    async def test_accepted_and_queued_without_a_bearer_header(self, client, app) -> None:
        service_token = make_jwt(9, orgId=9, sub="metering-service", type="service")
        response = await client.post(
            "/api/quickbooks/webhook/invoice-created", json=self._body(9, service_token)
        )
        assert response.status_code == 202
        assert response.json()["status"] == "accepted"
        amqp = app.state.resources.settings.amqp
        assert await _queue_depth(amqp.url, amqp.work_queue("invoice.created")) == 1

    @pytest.mark.parametrize(
        ("token", "status"),
        [(None, 401), ("garbage", 401), ("other-org", 403), ("expired", 401)],
    )
    async def test_refused(self, client, token, status) -> None:
        tokens = {"other-org": make_jwt(8), "expired": make_jwt(9, ttl_s=-300)}
        response = await client.post(
            "/api/quickbooks/webhook/invoice-created", json=self._body(9, tokens.get(token, token))
        )
        assert response.status_code == status

    async def test_bad_body_is_422(self, client) -> None:
        response = await client.post(
            "/api/quickbooks/webhook/invoice-created", json={"invoiceId": "x"}
        )
        assert response.status_code == 422

    async def test_broker_down_answers_503(self, database_url) -> None:
        settings = make_settings(
            db={"url": database_url}, amqp={"url": "amqp://guest:guest@127.0.0.1:9/"}
        )
        app = create_app(settings)
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                response = await http.post(
                    "/api/quickbooks/webhook/invoice-created", json=self._body(9, make_jwt(9))
                )
        assert response.status_code == 503
        assert response.json()["error"] == "broker_unavailable"
