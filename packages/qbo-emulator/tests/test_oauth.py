"""Intuit OAuth: consent page, code exchange, refresh rotation, revoke, client authentication."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from qbo_emulator import clock
from qbo_emulator.app import create_emulator_app
from qbo_emulator.control import EmulatorControl
from support import REDIRECT, SEED_REALM, Qbo, app_config

CLIENT_ID = "emulator-client-id"
CLIENT_SECRET = "emulator-client-secret"
SCOPE = "com.intuit.quickbooks.accounting openid"
BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


def _query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


async def _consent(
    http: httpx.AsyncClient,
    *,
    realm_id: str = SEED_REALM,
    decision: str = "allow",
    **overrides: str,
) -> httpx.Response:
    form = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "state": "st-123",
        "scope": SCOPE,
        "realm_id": realm_id,
        "decision": decision,
        **overrides,
    }
    return await http.post("/connect/oauth2/consent", data=form)


async def _token(http: httpx.AsyncClient, auth: str = BASIC, **form: str) -> httpx.Response:
    return await http.post(
        "/oauth2/v1/tokens/bearer",
        data=form,
        headers={"Authorization": auth, "Accept": "application/json"},
    )


async def _refresh(http: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await _token(http, grant_type="refresh_token", refresh_token=refresh_token)


async def _exchange(http: httpx.AsyncClient, code: str) -> httpx.Response:
    return await _token(http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)


class TestConsentPage:
    async def test_lists_realms_with_connect_and_cancel(self, http: httpx.AsyncClient) -> None:
        params = {
            "client_id": CLIENT_ID,
            "response_type": "code",
            "scope": SCOPE,
            "redirect_uri": REDIRECT,
            "state": "xyz",
        }
        response = await http.get("/connect/oauth2", params=params)
        assert response.status_code == 200
        page = response.text
        assert "Emulated Sandbox Co" in page
        assert f'value="{SEED_REALM}"' in page
        assert 'value="new"' in page
        assert 'action="/connect/oauth2/consent"' in page
        assert 'value="allow"' in page
        assert 'value="deny"' in page
        assert "intuit_tid" in response.headers

    async def test_unknown_client_gets_an_error_page(self, http: httpx.AsyncClient) -> None:
        params = {
            "client_id": "nope",
            "response_type": "code",
            "scope": SCOPE,
            "redirect_uri": REDIRECT,
        }
        response = await http.get("/connect/oauth2", params=params)
        assert response.status_code == 400

    async def test_scope_without_accounting_redirects_invalid_scope(
        self, http: httpx.AsyncClient
    ) -> None:
        params = {
            "client_id": CLIENT_ID,
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": REDIRECT,
            "state": "s1",
        }
        response = await http.get("/connect/oauth2", params=params)
        assert _query(response) == {"error": "invalid_scope", "state": "s1"}

    async def test_wrong_response_type_is_refused(self, http: httpx.AsyncClient) -> None:
        params = {
            "client_id": CLIENT_ID,
            "response_type": "token",
            "scope": SCOPE,
            "redirect_uri": REDIRECT,
        }
        response = await http.get("/connect/oauth2", params=params)
        assert _query(response)["error"] == "unsupported_response_type"


class TestConsentDecision:
    async def test_allow_redirects_with_code_state_and_realm(self, http: httpx.AsyncClient) -> None:
        query = _query(await _consent(http))
        assert query["state"] == "st-123"
        assert query["realmId"] == SEED_REALM
        assert query["code"]

    async def test_deny_redirects_access_denied(self, http: httpx.AsyncClient) -> None:
        assert _query(await _consent(http, decision="deny")) == {
            "error": "access_denied",
            "state": "st-123",
        }

    async def test_new_company_creates_a_sandbox_realm(
        self, http: httpx.AsyncClient, control: EmulatorControl
    ) -> None:
        query = _query(await _consent(http, realm_id="new"))
        realms = {realm.realm_id: realm for realm in await control.realms()}
        assert realms[query["realmId"]].environment == "sandbox"
        assert len(realms) == 2


class TestCodeExchange:
    async def test_code_gives_intuit_shaped_tokens(self, http: httpx.AsyncClient) -> None:
        code = _query(await _consent(http))["code"]
        response = await _exchange(http, code)
        assert response.status_code == 200
        assert "intuit_tid" in response.headers
        tokens = response.json()
        assert set(tokens) == {
            "token_type",
            "access_token",
            "refresh_token",
            "expires_in",
            "x_refresh_token_expires_in",
        }
        assert tokens["token_type"] == "bearer"
        assert tokens["expires_in"] == 3600
        assert tokens["x_refresh_token_expires_in"] == 8726400
        assert tokens["access_token"].startswith("eyJ")
        assert ".." in tokens["access_token"]
        assert len(tokens["access_token"]) > 1000
        assert re.fullmatch(r"RT1-\d+-H0-\d+[a-z0-9]+", tokens["refresh_token"])

    async def test_tokens_from_the_code_call_the_chosen_realm(
        self, http: httpx.AsyncClient
    ) -> None:
        code = _query(await _consent(http))["code"]
        access = (await _exchange(http, code)).json()["access_token"]
        qbo = Qbo(http, realm_id=SEED_REALM, access_token=access)
        assert (await qbo.get(f"companyinfo/{SEED_REALM}")).status_code == 200

    async def test_code_is_single_use(self, http: httpx.AsyncClient) -> None:
        code = _query(await _consent(http))["code"]
        assert (await _exchange(http, code)).status_code == 200
        again = await _exchange(http, code)
        assert again.status_code == 400
        assert again.json()["error"] == "invalid_grant"

    async def test_code_is_bound_to_its_redirect_uri(self, http: httpx.AsyncClient) -> None:
        code = _query(await _consent(http))["code"]
        response = await _token(
            http, grant_type="authorization_code", code=code, redirect_uri="http://evil.test/cb"
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"

    async def test_expired_code_is_refused(self) -> None:
        app = create_emulator_app(app_config(authorization_code_ttl_s=0))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://e"
        ) as http:
            code = _query(await _consent(http))["code"]
            response = await _exchange(http, code)
        assert response.json()["error"] == "invalid_grant"

    async def test_hard_expiry_is_reported_when_asked(self, http: httpx.AsyncClient) -> None:
        code = _query(await _consent(http))["code"]
        response = await http.post(
            "/oauth2/v1/tokens/bearer",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
            headers={"Authorization": BASIC, "x-include-refresh-token-hard-expires-in": "true"},
        )
        assert response.json()["x_refresh_token_hard_expires_in"] > 8726400


class TestRefresh:
    async def test_refresh_rotates_and_the_old_token_has_a_day_of_grace(
        self, control: EmulatorControl, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Intuit: "Your previous refresh tokens expire 24 hours after you receive a new one"
        (oauth-jsclient README; quickbooks-api.md §1.6), the default."""
        first = await control.issue_tokens(SEED_REALM)
        response = await _refresh(http, first.refresh_token)
        assert response.status_code == 200
        second = response.json()
        assert second["refresh_token"] != first.refresh_token
        assert second["access_token"] != first.access_token
        reused = await _refresh(http, first.refresh_token)
        assert reused.status_code == 200
        later = clock.now() + timedelta(hours=24, seconds=1)
        monkeypatch.setattr(clock, "now", lambda: later)
        expired = await _refresh(http, first.refresh_token)
        assert expired.status_code == 400
        assert expired.json() == {
            "error": "invalid_grant",
            "error_description": "Incorrect or invalid refresh token",
        }
        assert "intuit_tid" in expired.headers
        latest = reused.json()["refresh_token"]
        assert (await _refresh(http, latest)).status_code == 200

    async def test_no_grace_makes_refresh_tokens_single_use(
        self, control: EmulatorControl, http: httpx.AsyncClient
    ) -> None:
        await control.configure(refresh_token_grace_s=0)
        first = await control.issue_tokens(SEED_REALM)
        second = await _refresh(http, first.refresh_token)
        reused = await _refresh(http, first.refresh_token)
        assert reused.json()["error"] == "invalid_grant"
        newest = second.json()["refresh_token"]
        assert (await _refresh(http, newest)).status_code == 200

    async def test_strict_reuse_revokes_the_connection(
        self, control: EmulatorControl, http: httpx.AsyncClient
    ) -> None:
        """The "revoke" knob: a retired refresh token coming back ends the grant, its newest
        refresh token and its access tokens included."""
        await control.configure(refresh_token_reuse="revoke")
        first = await control.issue_tokens(SEED_REALM)
        second = (await _refresh(http, first.refresh_token)).json()
        reused = await _refresh(http, first.refresh_token)
        assert reused.json()["error"] == "invalid_grant"
        newest = await _refresh(http, second["refresh_token"])
        assert newest.json()["error"] == "invalid_grant"
        qbo = Qbo(http, realm_id=SEED_REALM, access_token=second["access_token"])
        assert (await qbo.get("companyinfo/" + SEED_REALM)).status_code == 401

    async def test_strict_rotation_without_reuse_keeps_working(
        self, control: EmulatorControl, http: httpx.AsyncClient
    ) -> None:
        await control.configure(refresh_token_reuse="revoke")
        token = (await control.issue_tokens(SEED_REALM)).refresh_token
        for _ in range(3):
            response = await _refresh(http, token)
            assert response.status_code == 200
            token = response.json()["refresh_token"]

    async def test_client_secret_post_is_accepted(
        self, control: EmulatorControl, http: httpx.AsyncClient
    ) -> None:
        issued = await control.issue_tokens(SEED_REALM)
        response = await http.post(
            "/oauth2/v1/tokens/bearer",
            data={
                "grant_type": "refresh_token",
                "refresh_token": issued.refresh_token,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
        )
        assert response.status_code == 200

    @pytest.mark.parametrize(
        "auth",
        [
            "Basic " + base64.b64encode(f"{CLIENT_ID}:wrong".encode()).decode(),
            "Basic " + base64.b64encode(b"other:" + CLIENT_SECRET.encode()).decode(),
            "Basic !!!not-base64",
            "",
        ],
    )
    async def test_bad_client_is_401_invalid_client(
        self, control: EmulatorControl, http: httpx.AsyncClient, auth: str
    ) -> None:
        issued = await control.issue_tokens(SEED_REALM)
        response = await _token(
            http, auth=auth, grant_type="refresh_token", refresh_token=issued.refresh_token
        )
        assert response.status_code == 401
        assert response.json() == {"error": "invalid_client"}
        # The refused call did not rotate the token.
        ok = await _token(http, grant_type="refresh_token", refresh_token=issued.refresh_token)
        assert ok.status_code == 200

    async def test_unknown_grant_type(self, http: httpx.AsyncClient) -> None:
        response = await _token(http, grant_type="password", username="u")
        assert response.status_code == 400
        assert response.json()["error"] == "unsupported_grant_type"


class TestRevoke:
    async def test_revoke_kills_refresh_and_access_tokens(
        self, control: EmulatorControl, http: httpx.AsyncClient
    ) -> None:
        issued = await control.issue_tokens(SEED_REALM)
        qbo = Qbo(http, realm_id=SEED_REALM, access_token=issued.access_token)
        assert (await qbo.get("preferences")).status_code == 200
        response = await http.post(
            "/v2/oauth2/tokens/revoke",
            json={"token": issued.refresh_token},
            headers={"Authorization": BASIC, "Accept": "application/json"},
        )
        assert response.status_code == 200
        refreshed = await _token(
            http, grant_type="refresh_token", refresh_token=issued.refresh_token
        )
        assert refreshed.json()["error"] == "invalid_grant"
        denied = await qbo.get("preferences")
        assert denied.status_code == 401
        assert denied.json()["fault"]["error"][0]["code"] == "3200"

    async def test_revoking_the_access_token_revokes_the_grant(
        self, control: EmulatorControl, http: httpx.AsyncClient
    ) -> None:
        issued = await control.issue_tokens(SEED_REALM)
        response = await http.post(
            "/v2/oauth2/tokens/revoke",
            json={"token": issued.access_token},
            headers={"Authorization": BASIC},
        )
        assert response.status_code == 200
        refreshed = await _token(
            http, grant_type="refresh_token", refresh_token=issued.refresh_token
        )
        assert refreshed.json()["error"] == "invalid_grant"

    async def test_revoke_needs_the_client(
        self, control: EmulatorControl, http: httpx.AsyncClient
    ) -> None:
        issued = await control.issue_tokens(SEED_REALM)
        response = await http.post("/v2/oauth2/tokens/revoke", json={"token": issued.refresh_token})
        assert response.status_code == 401
        still = await _token(http, grant_type="refresh_token", refresh_token=issued.refresh_token)
        assert still.status_code == 200


class TestDiscovery:
    @pytest.mark.parametrize(
        "path",
        [
            "/.well-known/openid_sandbox_configuration",
            "/.well-known/openid_sandbox_configuration/",
            "/.well-known/openid_configuration",
            "/.well-known/openid_configuration/",
        ],
    )
    async def test_intuits_keys_point_at_the_emulator(
        self, http: httpx.AsyncClient, path: str
    ) -> None:
        response = await http.get(path)
        assert response.status_code == 200
        assert "intuit_tid" in response.headers
        doc = response.json()
        base = str(http.base_url).rstrip("/")
        assert doc["authorization_endpoint"] == f"{base}/connect/oauth2"
        assert doc["token_endpoint"] == f"{base}/oauth2/v1/tokens/bearer"
        assert doc["revocation_endpoint"] == f"{base}/v2/oauth2/tokens/revoke"
        assert doc["token_endpoint_auth_methods_supported"] == [
            "client_secret_post",
            "client_secret_basic",
        ]
        assert {"issuer", "jwks_uri", "userinfo_endpoint", "response_types_supported"} <= set(doc)
        assert (await http.get(doc["jwks_uri"].removeprefix(base))).json() == {"keys": []}


class TestRedirectRegistration:
    """Intuit docs (Set app redirect URIs): "The Intuit OAuth 2.0 Server can only redirect and
    send responses to registered URIs", matched exactly (quickbooks-api.md §1.3); the OAuth
    2.0 Playground is registered for development keys."""

    @pytest.mark.parametrize(
        "redirect_uri",
        ["http://evil.test/callback", f"{REDIRECT}/", REDIRECT.upper(), ""],
        ids=["other-host", "trailing-slash", "case", "missing"],
    )
    async def test_an_unregistered_redirect_uri_gets_an_error_page(
        self, http: httpx.AsyncClient, redirect_uri: str
    ) -> None:
        params = {
            "client_id": CLIENT_ID,
            "response_type": "code",
            "scope": SCOPE,
            "redirect_uri": redirect_uri,
            "state": "s",
        }
        for response in (
            await http.get("/connect/oauth2", params=params),
            await _consent(http, redirect_uri=redirect_uri),
        ):
            assert response.status_code == 400
            assert "location" not in response.headers
            assert "Redirect URIs section on your app" in response.text

    async def test_the_playground_is_registered_and_more_can_be_at_run_time(
        self, http: httpx.AsyncClient, control: EmulatorControl
    ) -> None:
        playground = "https://developer.intuit.com/v2/OAuth2Playground/RedirectUrl"
        assert (await _consent(http, redirect_uri=playground)).status_code == 302
        added = "http://127.0.0.1:9999/callback"
        assert (await _consent(http, redirect_uri=added)).status_code == 400
        config = await control.configure(redirect_uris=(playground, added))
        assert added in config.redirect_uris
        assert (await _consent(http, redirect_uri=added)).status_code == 302
