"""Console sessions over HTTP: the JWT in an HttpOnly, SameSite=Strict cookie, a CSRF token
on every POST, and the API's own authorization behind every page."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from tests.tokens import make_jwt


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def _signed_in(client: httpx.AsyncClient, token: str) -> httpx.Response:
    form = await client.get("/console/sign-in")
    return await client.post(
        "/console/sign-in",
        data={"csrf": _csrf(form.text), "token": token, "next": "/console/"},
    )


async def test_pages_send_a_signed_out_person_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/console/orgs/5/records")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/sign-in?next=/console/orgs/5/records"


async def test_sign_in_keeps_the_token_in_a_strict_http_only_cookie(
    client: httpx.AsyncClient, org_id: int
) -> None:
    response = await _signed_in(client, make_jwt(org_id))
    assert response.status_code == 303
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("qbsync_console=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http here; https gets Secure (next test)
    home = await client.get("/console")
    assert home.headers["location"] == f"/console/orgs/{org_id}/records"


async def test_the_cookie_is_secure_over_https(app: FastAPI, org_id: int) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://qbsync.test") as https:
        response = await _signed_in(https, make_jwt(org_id))
    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize(
    "token",
    [
        make_jwt(7, ttl_s=-300),
        make_jwt(7, secret="some-other-secret-of-at-least-32-bytes"),
        "not-a-jwt",
    ],
    ids=["expired", "wrong key", "malformed"],
)
async def test_a_token_the_api_refuses_does_not_sign_in(
    client: httpx.AsyncClient, token: str
) -> None:
    response = await _signed_in(client, token)
    assert response.status_code == 401
    assert "Not signed in" in response.text
    assert "qbsync_console=" not in response.headers.get("set-cookie", "")


async def test_sign_in_needs_the_form_of_this_browser(client: httpx.AsyncClient) -> None:
    """A page elsewhere cannot sign a browser in with the attacker's token (login CSRF)."""
    response = await client.post("/console/sign-in", data={"token": make_jwt(7), "csrf": "x"})
    assert response.status_code == 403
    assert "qbsync_console=" not in response.headers.get("set-cookie", "")


async def test_an_action_without_the_session_csrf_token_is_refused(
    client: httpx.AsyncClient, org_id: int
) -> None:
    await _signed_in(client, make_jwt(org_id))
    page = await client.get(f"/console/orgs/{org_id}/connection")
    assert page.status_code == 200
    url = f"/console/orgs/{org_id}/connection/disconnect"
    assert (await client.post(url)).status_code == 403
    assert (await client.post(url, data={"csrf": "0" * 64})).status_code == 403
    other = await client.post(url, data={"csrf": _csrf(page.text)})
    assert other.status_code == 303  # the same form with its token goes through


async def test_a_tenant_cannot_open_another_organization(
    client: httpx.AsyncClient, org_id: int
) -> None:
    await _signed_in(client, make_jwt(org_id))
    response = await client.get(f"/console/orgs/{org_id + 1}/records")
    assert response.status_code == 403
    assert "does not match the token" in response.text


async def test_an_operator_picks_any_organization(client: httpx.AsyncClient) -> None:
    await _signed_in(client, make_jwt(None, roles=["QBSYNC_OPERATOR"]))
    assert (await client.get("/console")).headers["location"] == "/console/orgs"
    picked = await client.get("/console/orgs", params={"org": "31"})
    assert picked.headers["location"] == "/console/orgs/31/records"
    assert (await client.get("/console/orgs/31/records")).status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/console//x"])
async def test_sign_in_never_redirects_off_the_console(
    client: httpx.AsyncClient, org_id: int, target: str
) -> None:
    form = await client.get("/console/sign-in")
    response = await client.post(
        "/console/sign-in",
        data={"csrf": _csrf(form.text), "token": make_jwt(org_id), "next": target},
    )
    assert response.headers["location"] == "/console"


async def test_sign_out_forgets_the_token(client: httpx.AsyncClient, org_id: int) -> None:
    await _signed_in(client, make_jwt(org_id))
    page = await client.get(f"/console/orgs/{org_id}/records")
    response = await client.post("/console/sign-out", data={"csrf": _csrf(page.text)})
    assert response.status_code == 303
    assert (await client.get(f"/console/orgs/{org_id}/records")).status_code == 303
