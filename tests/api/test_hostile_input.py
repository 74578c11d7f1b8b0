"""Inputs the schema fuzzer found turning into 500s: each is now a clear 4xx."""

from __future__ import annotations

import pytest

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
