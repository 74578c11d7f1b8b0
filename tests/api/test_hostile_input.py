"""Inputs the schema fuzzer found turning into 500s: each is now a clear 4xx."""

from __future__ import annotations

import base64

import aio_pika
import pytest
from aiormq.exceptions import ChannelNotFoundEntity

from tests.tokens import auth_headers, make_jwt


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/quickbooks/connect?organizationId=%C2%B3"),  # "³" is a Unicode digit
        ("GET", "/api/quickbooks/sync-logs/10?organizationId=%C2%B3"),
        ("GET", "/api/quickbooks/mappings?aforoId=C%00A"),  # Postgres refuses NUL characters
        ("GET", "/api/quickbooks/sync-logs/542647269782330408960"),  # beyond a bigint
        ("POST", "/api/quickbooks/sync-logs/36893488147419103233/retry"),
        ("GET", "/api/quickbooks/backfill/36893488147419103233"),
        ("POST", "/api/quickbooks/sync/customer?customerId=%D9%A3"),  # Arabic-Indic three
        ("GET", "/api/quickbooks/customer/%C2%B3/sync-status"),
    ],
)
async def test_refused_with_4xx(client, method: str, url: str) -> None:
    response = await client.request(method, url, headers=auth_headers(7))
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/quickbooks/sync/payment?paymentId=PAY-1%0A2026-01-01%20INFO%20forged",
        "/api/quickbooks/sync/payment?paymentId=PAY-1%0D",
        "/api/quickbooks/sync/payment?paymentId=%1B%5B31mPAY",
        "/api/quickbooks/sync/payment?paymentId=PAY%C2%85",  # NEL, a C1 line break
        "/api/quickbooks/sync-logs?aforoId=payment-%0Ax",
        "/api/quickbooks/customer/1%0A/sync-status",
    ],
)
async def test_control_characters_in_ids_are_refused(client, url: str) -> None:
    method = "POST" if "/sync/" in url else "GET"
    response = await client.request(method, url, headers=auth_headers(7))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_input"


@pytest.mark.parametrize("run_async", ["false", "true"])
async def test_control_characters_in_a_body_id_are_refused(client, run_async: str) -> None:
    response = await client.post(
        f"/api/quickbooks/sync/payment?async={run_async}",
        json={"paymentId": "PAY-1\n2026-01-01 INFO forged"},
        headers=auth_headers(7),
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_input"


async def test_non_ascii_ids_are_not_mistaken_for_control_characters(client) -> None:
    response = await client.get(
        "/api/quickbooks/sync-logs?aforoId=payment-%E2%82%AC%C3%A9", headers=auth_headers(7)
    )
    assert response.status_code == 200


async def test_an_org_claim_in_unicode_digits_names_no_organization(client) -> None:
    token = make_jwt("³", claim="orgId")
    response = await client.get(
        "/api/quickbooks/status", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403


# Issue #12 item 9: ids beyond what can exist are refused where they are parsed.
HUGE = 2**70


@pytest.mark.parametrize("org_claim", [2**63, HUGE, 0, -1, str(HUGE)])
async def test_an_org_claim_that_cannot_exist_names_no_organization(client, org_claim) -> None:
    token = make_jwt(org_claim)
    response = await client.get(
        "/api/quickbooks/sync-logs", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403, response.text


@pytest.mark.parametrize("header", ["99999999999999999999", "0", "9" * 5000])
async def test_an_organization_header_beyond_a_bigint_is_a_422(client, header: str) -> None:
    headers = {**auth_headers(7), "X-Organization-Id": header}
    response = await client.get("/api/quickbooks/sync-logs", headers=headers)
    assert response.status_code == 422, response.text


async def test_an_operator_naming_a_huge_organization_is_a_422(client) -> None:
    token = make_jwt(None, roles=["QBSYNC_OPERATOR"])
    response = await client.get(
        "/api/quickbooks/sync-logs",
        params={"organizationId": str(HUGE)},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422, response.text


async def test_a_cursor_decoding_to_a_huge_number_is_a_422(client) -> None:
    cursor = base64.urlsafe_b64encode(str(HUGE).encode()).decode().rstrip("=")
    response = await client.get(
        "/api/quickbooks/sync-logs", params={"cursor": cursor}, headers=auth_headers(7)
    )
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    "ids",
    [
        {"invoiceId": 0},
        {"invoiceId": -5},
        {"invoiceId": HUGE},
        {"organizationId": HUGE},
        {"organizationId": 0},
        {"customerId": HUGE},
    ],
)
async def test_webhook_ids_that_cannot_exist_are_a_422_and_nothing_is_queued(
    client, app, ids
) -> None:
    org_id = ids.get("organizationId", 9)
    body = {"invoiceId": 4242, "organizationId": 9, "customerId": 9, **ids}
    body["jwtToken"] = make_jwt(org_id if isinstance(org_id, int) and org_id < 2**63 else 9)
    response = await client.post("/api/quickbooks/webhook/invoice-created", json=body)
    assert response.status_code == 422, response.text
    amqp = app.state.resources.settings.amqp
    connection = await aio_pika.connect(amqp.url)
    async with connection:
        channel = await connection.channel()
        try:
            queue = await channel.declare_queue(amqp.work_queue("invoice.created"), passive=True)
        except ChannelNotFoundEntity:
            return  # nothing was ever published: the publisher declares the queues
        assert queue.declaration_result.message_count == 0


async def test_a_sub_longer_than_255_characters_is_a_422_on_connect(client) -> None:
    headers = auth_headers(7, sub="u" * 300)
    response = await client.get("/api/quickbooks/connect", headers=headers)
    assert response.status_code == 422, response.text


async def test_backfill_naming_a_kind_twice_is_a_422(client) -> None:
    response = await client.post(
        "/api/quickbooks/backfill",
        json={"entities": ["customers", "customers"]},
        headers=auth_headers(7),
    )
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(
    ("entity_type", "aforo_id"), [("INVOICE", str(HUGE)), ("PAYMENT", "p" * 95)]
)
async def test_diagnose_of_an_id_that_cannot_exist_is_a_422(client, entity_type, aforo_id) -> None:
    response = await client.get(
        "/api/quickbooks/diagnose",
        params={"entityType": entity_type, "aforoId": aforo_id},
        headers=auth_headers(7),
    )
    assert response.status_code == 422, response.text
