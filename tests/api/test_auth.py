"""Bearer-token authentication and organization resolution on tenant routes."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest
import respx
from asgi_lifespan import LifespanManager
from joserfc import jwt
from joserfc.jwk import RSAKey

from qbsync.app import create_app
from tests.settings import make_settings
from tests.tokens import make_jwt

STATUS = "/api/quickbooks/status"


def _unsigned(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


class TestRefused:
    @pytest.mark.parametrize(
        ("headers", "status"),
        [
            ({}, 401),
            ({"Authorization": "Basic dXNlcjpwYXNz"}, 401),
            ({"Authorization": "Bearer"}, 401),
            (_bearer("not.a.jwt"), 401),
            (_bearer(make_jwt(5, ttl_s=-120)), 401),
            (_bearer(make_jwt(5, secret="another-secret-that-is-also-32-bytes!!")), 401),
            (_bearer(_unsigned({"organizationId": 5, "exp": int(time.time()) + 60})), 401),
            (_bearer(make_jwt(None)), 403),
            (_bearer(make_jwt(5), **{"X-Organization-Id": "6"}), 403),
            (_bearer(make_jwt(5), **{"X-Organization-Id": "abc"}), 422),
        ],
        ids=[
            "missing",
            "basic",
            "empty-bearer",
            "malformed",
            "expired",
            "wrong-key",
            "alg-none",
            "no-org-claim",
            "header-disagrees",
            "header-not-numeric",
        ],
    )
    async def test_refused(self, client: httpx.AsyncClient, headers, status) -> None:
        response = await client.get(STATUS, headers=headers)
        assert response.status_code == status
        assert response.json()["error"] in {"unauthorized", "forbidden", "invalid_input"}

    async def test_query_org_must_match(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            STATUS, params={"organizationId": 6}, headers=_bearer(make_jwt(5))
        )
        assert response.status_code == 403

    async def test_401_names_the_scheme(self, client: httpx.AsyncClient) -> None:
        response = await client.get(STATUS)
        assert response.headers["www-authenticate"] == "Bearer"


class TestAccepted:
    @pytest.mark.parametrize(
        ("claim", "value"),
        [("organizationId", 5), ("orgId", 5), ("orgId", "5"), ("tenantId", 5), ("org_id", "5")],
    )
    async def test_org_claims_metering_accepts(
        self, client: httpx.AsyncClient, claim, value
    ) -> None:
        response = await client.get(STATUS, headers=_bearer(make_jwt(value, claim=claim)))
        assert response.status_code == 200
        assert response.json()["organizationId"] == 5
        assert response.json()["connected"] is False

    async def test_matching_header_and_query(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            STATUS,
            params={"organizationId": "5"},
            headers=_bearer(make_jwt(5), **{"X-Organization-Id": "5"}),
        )
        assert response.status_code == 200

    async def test_operator_may_name_any_org(self, client: httpx.AsyncClient) -> None:
        token = make_jwt(None, roles=["QBSYNC_OPERATOR"])
        response = await client.get(STATUS, headers=_bearer(token, **{"X-Organization-Id": "77"}))
        assert response.status_code == 200
        assert response.json()["organizationId"] == 77

    async def test_non_operator_role_is_not_enough(self, client: httpx.AsyncClient) -> None:
        token = make_jwt(5, roles=["ADMIN"])
        response = await client.get(STATUS, headers=_bearer(token, **{"X-Organization-Id": "77"}))
        assert response.status_code == 403


def _identity_provider() -> respx.MockRouter:
    """Mocks the outbound JWKS fetch whatever transport qbsync's client uses (``using="httpx"``
    swaps the client's transport); the test's own ASGI calls to ``http://t`` pass through."""
    mock = respx.mock(using="httpx", assert_all_called=True)
    mock.route(host="t").pass_through()
    return mock


class TestJwks:
    async def test_rs256_from_jwks(self, database_url: str) -> None:
        key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        jwks_url = "https://idp.example/.well-known/jwks.json"
        settings = make_settings(db={"url": database_url}, auth={"jwks_url": jwks_url})
        now = int(time.time())
        token = jwt.encode({"alg": "RS256", "kid": "k1"}, {"orgId": 8, "exp": now + 60}, key)
        forged = jwt.encode(
            {"alg": "RS256", "kid": "k1"},
            {"orgId": 8, "exp": now + 60},
            RSAKey.generate_key(2048, parameters={"kid": "k1"}),
        )
        app = create_app(settings)
        with _identity_provider() as mock:
            mock.get(jwks_url).respond(json={"keys": [key.as_dict(private=False)]})
            async with LifespanManager(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                    good = await http.get(STATUS, headers=_bearer(token))
                    bad = await http.get(STATUS, headers=_bearer(forged))
        assert good.status_code == 200
        assert good.json()["organizationId"] == 8
        assert bad.status_code == 401

    async def test_a_jwks_failure_tells_the_caller_nothing_about_it(
        self, database_url: str
    ) -> None:
        jwks_url = "https://idp.internal.example:8443/jwks.json"
        settings = make_settings(db={"url": database_url}, auth={"jwks_url": jwks_url})
        key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        token = jwt.encode(
            {"alg": "RS256", "kid": "k1"}, {"orgId": 8, "exp": int(time.time()) + 60}, key
        )
        app = create_app(settings)
        with _identity_provider() as mock:
            mock.get(jwks_url).mock(side_effect=httpx.ConnectError("idp.internal.example refused"))
            async with LifespanManager(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                    response = await http.get(STATUS, headers=_bearer(token))
        assert response.status_code == 503
        assert "idp.internal" not in response.text
        assert "refused" not in response.text.lower()
        assert "ConnectError" not in response.text
