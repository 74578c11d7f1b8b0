"""The ``/_emulator`` control API through ``EmulatorControl``, and ``serve_in_thread``."""

from __future__ import annotations

import json
import socket
from decimal import Decimal
from urllib.parse import parse_qsl

import httpx
import pytest

from qbo_emulator.app import create_emulator_app
from qbo_emulator.config import EmulatorConfig, ErrorRates
from qbo_emulator.control import EmulatorControl
from qbo_emulator.server import serve_in_thread
from support import SEED_REALM, Qbo


class TestRealms:
    async def test_seed_realm_is_listed(self, control: EmulatorControl) -> None:
        [realm] = await control.realms()
        assert (realm.realm_id, realm.company_name, realm.environment) == (
            SEED_REALM,
            "Emulated Sandbox Co",
            "sandbox",
        )

    async def test_create_production_realm(self, control: EmulatorControl) -> None:
        realm = await control.create_realm(
            realm_id="123146000000042", company_name="Prod Co", environment="production"
        )
        assert realm.environment == "production"
        assert {r.realm_id for r in await control.realms()} == {SEED_REALM, "123146000000042"}

    async def test_duplicate_realm_is_409(self, control: EmulatorControl) -> None:
        with pytest.raises(httpx.HTTPStatusError) as caught:
            await control.create_realm(realm_id=SEED_REALM)
        assert caught.value.response.status_code == 409

    async def test_no_seed_realm_when_configured_so(self) -> None:
        app = create_emulator_app(EmulatorConfig(seed_realm=None))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://e"
        ) as http:
            assert await EmulatorControl("http://e", http).realms() == []


class TestInspection:
    async def test_entities_include_every_state(self, qbo: Qbo, control: EmulatorControl) -> None:
        customer = await qbo.customer("Held")
        keep = await qbo.invoice(customer["Id"], "5.00")
        void = await qbo.invoice(customer["Id"], "6.00")
        gone = await qbo.invoice(customer["Id"], "7.00")
        await qbo.post("invoice", {"Id": void["Id"], "SyncToken": "0"}, operation="void")
        await qbo.post("invoice", {"Id": gone["Id"], "SyncToken": "0"}, operation="delete")
        held = await control.entities(SEED_REALM, "Invoice")
        assert [(r.id, r.state, r.sync_token) for r in held] == [
            (keep["Id"], "active", "0"),
            (void["Id"], "voided", "1"),
            (gone["Id"], "deleted", "1"),
        ]
        assert held[0].body["TotalAmt"] == Decimal("5.00")
        assert [r.id for r in await control.live(SEED_REALM, "Invoice")] == [keep["Id"], void["Id"]]

    async def test_request_log(self, qbo: Qbo, control: EmulatorControl) -> None:
        await qbo.post("customer", {"DisplayName": "Logged"}, requestid="r-1")
        await qbo.get("customer/999")
        first, second = await control.requests(SEED_REALM)
        assert (first.method, first.requestid, first.status) == ("POST", "r-1", 200)
        assert first.path == f"/sandbox/v3/company/{SEED_REALM}/customer"
        assert "requestid=r-1" in first.query
        assert (second.method, second.status, second.requestid) == ("GET", 400, None)

    async def test_the_log_shows_what_the_client_sent_without_its_token(
        self, qbo: Qbo, control: EmulatorControl
    ) -> None:
        await qbo.post("customer", {"DisplayName": "Caf\u00e9 Sent", "Notes": "n"})
        [entry] = await control.requests(SEED_REALM)
        assert json.loads(entry.body or "") == {"DisplayName": "Caf\u00e9 Sent", "Notes": "n"}
        assert entry.headers["content-type"] == "application/json"
        assert entry.headers["accept"] == "application/json"
        authorization = entry.headers["authorization"]
        assert authorization.startswith("Bearer <redacted …")
        assert qbo.access_token not in authorization
        assert qbo.access_token[-4:] in authorization

    async def test_the_oauth_log_redacts_codes_tokens_and_secrets(
        self, http: httpx.AsyncClient, control: EmulatorControl
    ) -> None:
        issued = await control.issue_tokens(SEED_REALM)
        form = {
            "grant_type": "refresh_token",
            "refresh_token": issued.refresh_token,
            "client_id": "emulator-client-id",
            "client_secret": "emulator-client-secret",
        }
        assert (await http.post("/oauth2/v1/tokens/bearer", data=form)).status_code == 200
        await http.post(
            "/v2/oauth2/tokens/revoke",
            json={"token": issued.access_token},
            auth=("emulator-client-id", "emulator-client-secret"),
        )
        refresh, revoke = await control.oauth_requests()
        assert (refresh.path, refresh.status) == ("/oauth2/v1/tokens/bearer", 200)
        sent = dict(parse_qsl(refresh.body or ""))
        assert sent["grant_type"] == "refresh_token"
        assert sent["client_id"] == "emulator-client-id"
        assert sent["refresh_token"] == f"<redacted …{issued.refresh_token[-4:]}>"
        assert sent["client_secret"].startswith("<redacted")
        assert issued.access_token not in (revoke.body or "")
        assert revoke.headers["authorization"].startswith("Basic <redacted")


class TestKnobsAndTokens:
    async def test_configure_returns_the_new_config(self, control: EmulatorControl) -> None:
        config = await control.configure(
            latency_ms=(1, 2),
            requests_per_minute=7,
            rates=ErrorRates(http_503=0.25),
            throttle_body="json",
        )
        assert config.latency_ms == (1, 2)
        assert config.requests_per_minute == 7
        assert config.error_rates.http_503 == 0.25
        assert config.throttle_body == "json"
        assert config.max_in_flight == 10

    async def test_bad_config_is_refused(self, http: httpx.AsyncClient) -> None:
        response = await http.put("/_emulator/config", json={"latency_ms": [5, 1]})
        assert response.status_code == 422

    async def test_reset_forgets_data_tokens_and_knobs(
        self, qbo: Qbo, control: EmulatorControl
    ) -> None:
        await qbo.customer("Before Reset")
        await control.configure(requests_per_minute=1)
        await control.create_realm()
        await control.reset()
        assert len(await control.realms()) == 1
        assert (await qbo.get("preferences")).status_code == 401
        tokens = await control.issue_tokens(SEED_REALM)
        fresh = Qbo(qbo.http, realm_id=SEED_REALM, access_token=tokens.access_token)
        assert await control.entities(SEED_REALM, "Customer") == []
        assert (await fresh.get("preferences")).status_code == 200
        assert (await fresh.get("preferences")).status_code == 200

    async def test_issue_tokens_with_hard_expiry(self, control: EmulatorControl) -> None:
        tokens = await control.issue_tokens(SEED_REALM, include_hard_expiry=True)
        assert tokens.x_refresh_token_hard_expires_in is not None
        assert tokens.refresh_token.startswith("RT1-")

    async def test_expire_counts_live_tokens(self, control: EmulatorControl) -> None:
        await control.issue_tokens(SEED_REALM)
        await control.issue_tokens(SEED_REALM)
        assert await control.expire_tokens(SEED_REALM) == 2
        assert await control.expire_tokens(SEED_REALM) == 0


class TestServeInThread:
    async def test_serves_over_http_and_releases_the_port(self) -> None:
        app = create_emulator_app()
        with serve_in_thread(app) as base_url:
            assert base_url.startswith("http://127.0.0.1:")
            async with httpx.AsyncClient() as http:
                control = EmulatorControl(base_url, http)
                tokens = await control.issue_tokens(SEED_REALM)
                qbo = Qbo(http, realm_id=SEED_REALM, access_token=tokens.access_token)
                qbo.prefix = f"{base_url}/sandbox"
                assert (await qbo.get("preferences")).status_code == 200
        port = int(base_url.rsplit(":", 1)[1])
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0
