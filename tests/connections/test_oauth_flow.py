"""The browser flow from /connect to /status against the emulator's Intuit OAuth."""

from __future__ import annotations

import asyncio
import html
import logging
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import text, update

from qbsync.connections import tokens as token_module
from qbsync.connections.errors import NeedsReauth
from qbsync.connections.models import OAuthState, QuickBooksConnection
from qbsync.db.base import utcnow
from qbsync.quickbooks.errors import QuickBooksAuthError
from tests.tokens import auth_headers, make_jwt

pytestmark = pytest.mark.usefixtures("emulator")


async def _consent(
    emulator_http: httpx.AsyncClient, auth_url: str, *, realm: str, decision: str
) -> dict[str, str]:
    """What a person does on Intuit's page: open it, pick a company, click a button."""
    page = await emulator_http.get(auth_url)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    query = parse_qs(urlsplit(auth_url).query)
    form = {
        "client_id": query["client_id"][0],
        "redirect_uri": query["redirect_uri"][0],
        "state": query["state"][0],
        "scope": query["scope"][0],
        "realm_id": realm,
        "decision": decision,
    }
    answer = await emulator_http.post("/connect/oauth2/consent", data=form)
    assert answer.status_code in (302, 303)
    location = answer.headers["location"]
    assert location.startswith(form["redirect_uri"])
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _path(url: str) -> str:
    """qbsync's own URL as the test client reaches it (its host is the public base URL)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def _open_start(client, auth_url: str) -> str:
    """What the browser tab the UI opens does: load qbsync's start page (which sets the
    flow's cookie in this client) and follow its link on to Intuit."""
    page = await client.get(_path(auth_url))
    assert page.status_code == 200, page.text
    [intuit_url] = re.findall(r'<a class="go" href="([^"]+)"', page.text)
    return html.unescape(intuit_url)


async def _consent_via_start(
    client, emulator_http, auth_url: str, *, realm: str = "new", decision: str = "allow"
) -> dict[str, str]:
    intuit_url = await _open_start(client, auth_url)
    return await _consent(emulator_http, intuit_url, realm=realm, decision=decision)


async def _connect(client, emulator_http, org_id: int, *, realm: str = "new") -> dict[str, str]:
    started = await client.get("/api/quickbooks/connect", headers=auth_headers(org_id))
    assert started.status_code == 200, started.text
    body = started.json()
    assert body["organizationId"] == org_id
    return await _consent_via_start(client, emulator_http, body["authUrl"], realm=realm)


async def _status(client, org_id: int) -> dict:
    response = await client.get("/api/quickbooks/status", headers=auth_headers(org_id))
    assert response.status_code == 200
    return response.json()


class TestConnectFlow:
    async def test_connect_then_status_then_disconnect(self, client, emulator_http, org_id) -> None:
        assert (await _status(client, org_id))["connected"] is False

        redirect = await _connect(client, emulator_http, org_id)
        page = await client.get("/api/quickbooks/callback", params=redirect)
        assert page.status_code == 200
        assert "QuickBooks connected" in page.text

        status = await _status(client, org_id)
        assert status["connected"] is True
        assert status["status"] == "ACTIVE"
        assert status["realmId"] == redirect["realmId"]
        assert status["companyName"]
        assert status["connectedSince"]

        gone = await client.post("/api/quickbooks/disconnect", headers=auth_headers(org_id))
        assert gone.status_code == 200
        assert gone.json() == {
            "success": True,
            "status": "success",
            "message": "Disconnected from QuickBooks",
            "organizationId": org_id,
        }
        assert (await _status(client, org_id))["connected"] is False
        again = await client.post("/api/quickbooks/disconnect", headers=auth_headers(org_id))
        assert again.status_code == 200
        assert again.json()["success"] is True

    async def test_callback_answers_json_when_asked(self, client, emulator_http, org_id) -> None:
        redirect = await _connect(client, emulator_http, org_id)
        answer = await client.get(
            "/api/quickbooks/callback", params=redirect, headers={"Accept": "application/json"}
        )
        assert answer.status_code == 200
        assert answer.json()["status"] == "success"
        assert answer.json()["organizationId"] == org_id

    async def test_denied_consent_stores_nothing(self, client, emulator_http, org_id) -> None:
        started = await client.get("/api/quickbooks/connect", headers=auth_headers(org_id))
        redirect = await _consent_via_start(
            client, emulator_http, started.json()["authUrl"], decision="deny"
        )
        assert redirect["error"] == "access_denied"
        page = await client.get("/api/quickbooks/callback", params=redirect)
        assert page.status_code == 400
        assert "not granted" in page.text
        assert (await _status(client, org_id))["connected"] is False

    async def test_forged_state_is_refused(self, client) -> None:
        page = await client.get(
            "/api/quickbooks/callback", params={"code": "c", "state": "forged", "realmId": "1"}
        )
        assert page.status_code == 400
        assert "not issued by qbsync" in page.text

    async def test_replayed_state_is_refused(self, client, emulator_http, org_id) -> None:
        redirect = await _connect(client, emulator_http, org_id)
        assert (await client.get("/api/quickbooks/callback", params=redirect)).status_code == 200
        replay = await client.get("/api/quickbooks/callback", params=redirect)
        assert replay.status_code == 400
        assert "already been used" in replay.text

    async def test_expired_state_is_refused(
        self, client, emulator_http, sessionmaker, org_id
    ) -> None:
        started = await client.get("/api/quickbooks/connect", headers=auth_headers(org_id))
        intuit_url = await _open_start(client, started.json()["authUrl"])
        async with sessionmaker.begin() as session:
            await session.execute(
                update(OAuthState)
                .where(OAuthState.organization_id == org_id)
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
        redirect = await _consent(emulator_http, intuit_url, realm="new", decision="allow")
        page = await client.get("/api/quickbooks/callback", params=redirect)
        assert page.status_code == 400
        assert "expired" in page.text
        assert (await _status(client, org_id))["connected"] is False

    async def test_reconnect_to_another_company_is_refused(
        self, client, emulator_http, org_id
    ) -> None:
        first = await _connect(client, emulator_http, org_id)
        await client.get("/api/quickbooks/callback", params=first)
        second = await _connect(client, emulator_http, org_id, realm="new")
        assert second["realmId"] != first["realmId"]
        page = await client.get("/api/quickbooks/callback", params=second)
        assert page.status_code == 409
        assert (await _status(client, org_id))["realmId"] == first["realmId"]

    async def test_reconnect_to_the_same_company_is_fine(
        self, client, emulator_http, org_id
    ) -> None:
        first = await _connect(client, emulator_http, org_id)
        await client.get("/api/quickbooks/callback", params=first)
        again = await _connect(client, emulator_http, org_id, realm=first["realmId"])
        assert (await client.get("/api/quickbooks/callback", params=again)).status_code == 200
        assert (await _status(client, org_id))["connected"] is True


class TestTokens:
    async def _connected(self, client, emulator_http, org_id) -> str:
        redirect = await _connect(client, emulator_http, org_id)
        assert (await client.get("/api/quickbooks/callback", params=redirect)).status_code == 200
        return redirect["realmId"]

    async def test_tokens_are_encrypted_at_rest_and_not_logged(
        self, client, emulator_http, sessionmaker, org_id, app, caplog
    ) -> None:
        caplog.set_level(logging.DEBUG)
        await self._connected(client, emulator_http, org_id)
        async with sessionmaker() as session:
            row = (
                await session.execute(
                    text(
                        "SELECT access_token_encrypted, refresh_token_encrypted "
                        "FROM quickbooks_connection WHERE organization_id = :org"
                    ),
                    {"org": org_id},
                )
            ).one()
        access = await app.state.resources.quickbooks.tokens(org_id).get_token()
        assert access not in row.access_token_encrypted
        assert not row.refresh_token_encrypted.startswith("RT1-")
        assert access not in caplog.text

    async def test_two_instances_refresh_once(
        self, client, emulator_http, sessionmaker, org_id, app, monkeypatch
    ) -> None:
        await self._connected(client, emulator_http, org_id)
        async with sessionmaker.begin() as session:
            await session.execute(
                update(QuickBooksConnection)
                .where(QuickBooksConnection.organization_id == org_id)
                .values(access_token_expires_at=utcnow() - timedelta(seconds=1))
            )
        # Separate processes share no asyncio lock: give every call its own, so only the
        # database row lock stands between the two refreshes.
        monkeypatch.setattr(token_module, "_lock_for", lambda _org: asyncio.Lock())
        access = app.state.resources.quickbooks
        first, second = await asyncio.gather(
            access.tokens(org_id).get_token(), access.tokens(org_id).get_token()
        )
        assert first == second
        # The stored refresh token is the latest one: refreshing again works.
        assert await access.tokens(org_id).refresh(first) != first

    async def test_invalid_grant_marks_needs_reauth(
        self, client, emulator_http, org_id, app
    ) -> None:
        await self._connected(client, emulator_http, org_id)
        access = app.state.resources.quickbooks
        # Revoke the grant behind qbsync's back (as a user disconnecting from QuickBooks would).
        async with access.sessionmaker() as session:
            connection = (
                await session.execute(
                    text(
                        "SELECT refresh_token_encrypted FROM quickbooks_connection WHERE organization_id = :o"
                    ),
                    {"o": org_id},
                )
            ).one()
        current = await access.tokens(org_id).get_token()
        await access.oauth.revoke(access.cipher.decrypt(connection.refresh_token_encrypted))
        # QuickBooks answers 401 to the revoked access token; the client asks for a refresh.
        with pytest.raises(NeedsReauth):
            await access.tokens(org_id).refresh(current)
        status = await _status(client, org_id)
        assert status["connected"] is False
        assert status["status"] == "NEEDS_REAUTH"
        with pytest.raises(NeedsReauth):
            await access.tokens(org_id).get_token()

    async def test_fresh_tokens_refused_again_and_again_mark_needs_reauth(
        self, client, emulator_http, emulator_control, sessionmaker, org_id, app
    ) -> None:
        # Issue #12 item 4: a connection whose grant does not reach its company (connected
        # with a forged realmId before the callback checked it) failed with 401 forever.
        await self._connected(client, emulator_http, org_id)
        other = await emulator_control.create_realm(company_name="Not Yours Ltd")
        async with sessionmaker.begin() as session:
            await session.execute(
                update(QuickBooksConnection)
                .where(QuickBooksConnection.organization_id == org_id)
                .values(realm_id=other.realm_id)
            )
        qbo = app.state.resources.quickbooks.client(organization_id=org_id, realm_id=other.realm_id)
        for _ in range(token_module.REFUSALS_BEFORE_REAUTH - 1):
            with pytest.raises(QuickBooksAuthError):
                await qbo.company_info()
            assert (await _status(client, org_id))["status"] == "ACTIVE"
        with pytest.raises(NeedsReauth):
            await qbo.company_info()
        status = await _status(client, org_id)
        assert (status["status"], status["connected"]) == ("NEEDS_REAUTH", False)

    async def test_disconnect_revokes_at_intuit(self, client, emulator_http, org_id, app) -> None:
        await self._connected(client, emulator_http, org_id)
        access = app.state.resources.quickbooks
        async with access.sessionmaker() as session:
            stored = (
                await session.execute(
                    text(
                        "SELECT refresh_token_encrypted FROM quickbooks_connection WHERE organization_id = :o"
                    ),
                    {"o": org_id},
                )
            ).one()
        refresh_token = access.cipher.decrypt(stored.refresh_token_encrypted)
        await client.post("/api/quickbooks/disconnect", headers=auth_headers(org_id))
        from qbsync.connections.errors import OAuthInvalidGrant

        with pytest.raises(OAuthInvalidGrant):
            await access.oauth.refresh(refresh_token)


class TestBrowserBinding:
    """Issue #12 item 3: the flow belongs to the browser that opened the start link."""

    async def test_a_callback_in_another_browser_is_refused_and_spoils_nothing(
        self, client, app, emulator_http, org_id
    ) -> None:
        redirect = await _connect(client, emulator_http, org_id)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://qbsync.test") as victim:
            page = await victim.get("/api/quickbooks/callback", params=redirect)
        assert page.status_code == 403
        assert "not started in this browser" in page.text
        assert (await _status(client, org_id))["connected"] is False
        # The browser that did start it still finishes.
        assert (await client.get("/api/quickbooks/callback", params=redirect)).status_code == 200
        assert (await _status(client, org_id))["connected"] is True

    async def test_the_start_page_binds_with_a_strict_cookie_and_names_the_organization(
        self, client, org_id
    ) -> None:
        started = await client.get(
            "/api/quickbooks/connect", headers=auth_headers(org_id, sub="alice@example.com")
        )
        assert f"organization {org_id}" in started.json()["message"]
        auth_url = started.json()["authUrl"]
        assert auth_url.startswith("http://127.0.0.1:8095/api/quickbooks/connect/start?state=")
        page = await client.get(_path(auth_url))
        assert page.status_code == 200
        assert f"Aforo organization {org_id}" in page.text
        assert "alice@example.com" in page.text
        cookie = page.headers["set-cookie"].lower()
        for attribute in ("httponly", "samesite=lax", "path=/api/quickbooks/callback"):
            assert attribute in cookie
        assert "secure" not in cookie  # plain http in tests; https public URLs get it

    async def test_a_start_link_opens_in_one_browser_only(self, client, app, org_id) -> None:
        started = await client.get("/api/quickbooks/connect", headers=auth_headers(org_id))
        path = _path(started.json()["authUrl"])
        assert (await client.get(path)).status_code == 200
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://qbsync.test") as other:
            second = await other.get(path)
        assert second.status_code == 400
        assert "already been opened" in second.text
        assert "set-cookie" not in second.headers

    async def test_a_start_link_opened_late_is_refused(self, client, sessionmaker, org_id) -> None:
        started = await client.get("/api/quickbooks/connect", headers=auth_headers(org_id))
        async with sessionmaker.begin() as session:
            await session.execute(
                update(OAuthState)
                .where(OAuthState.organization_id == org_id)
                .values(created_at=utcnow() - timedelta(minutes=3))
            )
        page = await client.get(_path(started.json()["authUrl"]))
        assert page.status_code == 400
        assert "within 2 minutes" in page.text


class TestCallbackChecks:
    """Issue #12 item 4: the callback's realmId is checked, and proven by the new token."""

    @pytest.mark.parametrize("realm", ["../../v3/company/1/query", "abc", "1" * 21, "-5"])
    async def test_a_realm_id_that_is_no_company_id_is_a_400(
        self, client, emulator_http, org_id, realm: str
    ) -> None:
        redirect = await _connect(client, emulator_http, org_id)
        page = await client.get("/api/quickbooks/callback", params={**redirect, "realmId": realm})
        assert page.status_code == 400
        assert "not a QuickBooks company id" in page.text
        assert (await _status(client, org_id))["connected"] is False

    async def test_a_code_for_one_company_cannot_connect_another(
        self, client, emulator_http, emulator_control, org_id
    ) -> None:
        other = await emulator_control.create_realm(company_name="Somebody Else Inc")
        redirect = await _connect(client, emulator_http, org_id)
        assert redirect["realmId"] != other.realm_id
        page = await client.get(
            "/api/quickbooks/callback", params={**redirect, "realmId": other.realm_id}
        )
        assert page.status_code == 403
        assert "does not give access to company" in page.text
        assert (await _status(client, org_id))["connected"] is False

    async def test_a_company_of_another_organization_is_refused(
        self, client, emulator_http, org_id
    ) -> None:
        first = await _connect(client, emulator_http, org_id)
        assert (await client.get("/api/quickbooks/callback", params=first)).status_code == 200
        intruder = org_id + 1
        second = await _connect(client, emulator_http, intruder, realm=first["realmId"])
        page = await client.get("/api/quickbooks/callback", params=second)
        assert page.status_code == 409
        assert "already connected to another Aforo organization" in page.text
        assert (await _status(client, intruder))["connected"] is False

    async def test_an_operator_may_connect_a_shared_company(
        self, client, emulator_http, org_id
    ) -> None:
        first = await _connect(client, emulator_http, org_id)
        assert (await client.get("/api/quickbooks/callback", params=first)).status_code == 200
        sibling = org_id + 1
        tenant = await client.get(
            "/api/quickbooks/connect",
            params={"allowSharedCompany": "true"},
            headers=auth_headers(sibling),
        )
        assert tenant.status_code == 403
        operator = {"Authorization": f"Bearer {make_jwt(None, roles=['QBSYNC_OPERATOR'])}"}
        started = await client.get(
            "/api/quickbooks/connect",
            params={"allowSharedCompany": "true", "organizationId": sibling},
            headers=operator,
        )
        assert started.status_code == 200, started.text
        redirect = await _consent_via_start(
            client, emulator_http, started.json()["authUrl"], realm=first["realmId"]
        )
        assert (await client.get("/api/quickbooks/callback", params=redirect)).status_code == 200
        assert (await _status(client, sibling))["realmId"] == first["realmId"]
