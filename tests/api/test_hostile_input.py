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


async def test_an_org_claim_in_unicode_digits_names_no_organization(client) -> None:
    token = make_jwt("³", claim="orgId")
    response = await client.get(
        "/api/quickbooks/status", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
