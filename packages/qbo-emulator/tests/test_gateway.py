"""The API gateway: bearer tokens (3200), wrong cluster (130), headers every answer carries."""

from __future__ import annotations

import re

import httpx
import pytest

from qbo_emulator.control import EmulatorControl
from support import SEED_REALM, Qbo, body

GATEWAY_KEYS = {
    "warnings",
    "intuitObject",
    "fault",
    "report",
    "queryResponse",
    "batchItemResponse",
    "attachableResponse",
    "syncErrorResponse",
    "requestId",
    "time",
    "status",
    "cdcresponse",
}


def _assert_auth_failure(response: httpx.Response, code: str = "3200") -> str:
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    payload = response.json()
    assert set(payload) == GATEWAY_KEYS
    error = payload["fault"]["error"][0]
    assert error["code"] == code
    assert error["element"] is None
    assert payload["fault"]["type"] == "AUTHENTICATION"
    assert isinstance(payload["time"], int)
    detail: str = error["detail"]
    return detail


class TestBearerToken:
    async def test_missing_token(self, http: httpx.AsyncClient) -> None:
        response = await http.get(f"/sandbox/v3/company/{SEED_REALM}/preferences")
        _assert_auth_failure(response)
        message = response.json()["fault"]["error"][0]["message"]
        assert message == "message=AuthenticationFailed; errorCode=003200; statusCode=401"

    async def test_garbage_token(self, http: httpx.AsyncClient) -> None:
        qbo = Qbo(http, realm_id=SEED_REALM, access_token="short")
        detail = _assert_auth_failure(await qbo.get("preferences"))
        assert "Malformed" in detail

    async def test_expired_token(self, qbo: Qbo, control: EmulatorControl) -> None:
        assert (await qbo.get("preferences")).status_code == 200
        assert await control.expire_tokens(SEED_REALM) == 1
        detail = _assert_auth_failure(await qbo.get("preferences"))
        assert detail.startswith("Token expired")

    async def test_token_of_another_realm(self, qbo: Qbo, control: EmulatorControl) -> None:
        other = await control.create_realm(environment="sandbox")
        stranger = Qbo(qbo.http, realm_id=other.realm_id, access_token=qbo.access_token)
        _assert_auth_failure(await stranger.get("preferences"))

    async def test_unknown_realm(self, qbo: Qbo) -> None:
        nowhere = Qbo(qbo.http, realm_id="1", access_token=qbo.access_token)
        _assert_auth_failure(await nowhere.get("preferences"))


class TestClusters:
    async def test_sandbox_realm_on_production_host_is_130(self, qbo: Qbo) -> None:
        production = Qbo(qbo.http, realm_id=SEED_REALM, access_token=qbo.access_token, prefix="")
        detail = _assert_auth_failure(await production.get("preferences"), code="130")
        assert "Wrong Cluster" in detail

    async def test_production_realm_lives_at_v3(
        self, http: httpx.AsyncClient, control: EmulatorControl
    ) -> None:
        realm = await control.create_realm(realm_id="123146000000001", environment="production")
        tokens = await control.issue_tokens(realm.realm_id)
        production = Qbo(http, realm_id=realm.realm_id, access_token=tokens.access_token, prefix="")
        assert (await production.get(f"companyinfo/{realm.realm_id}")).status_code == 200
        sandbox = Qbo(http, realm_id=realm.realm_id, access_token=tokens.access_token)
        _assert_auth_failure(await sandbox.get("preferences"), code="130")


class TestEveryAnswer:
    @pytest.mark.parametrize("path", ["preferences", "customer/999", "nothing/here"])
    async def test_has_intuit_tid_and_time(self, qbo: Qbo, path: str) -> None:
        response = await qbo.get(path)
        assert re.fullmatch(r"1-[0-9a-f]{8}-[0-9a-f]{24}", response.headers["intuit_tid"])
        assert response.headers["intuit-tid"] == response.headers["intuit_tid"]
        assert response.headers["content-type"].startswith("application/json")
        stamp = body(response)["time"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-0[78]:00", stamp)

    async def test_any_minorversion_is_accepted(self, qbo: Qbo) -> None:
        for version in ("4", "75", "999"):
            assert (await qbo.get("preferences", minorversion=version)).status_code == 200

    async def test_unknown_resource_is_a_400_fault_500(self, qbo: Qbo) -> None:
        response = await qbo.get("customer/1/5")
        assert response.status_code == 400
        assert body(response)["Fault"]["Error"][0]["code"] == "500"

    async def test_control_api_has_no_tid(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/_emulator/realms")
        assert "intuit_tid" not in response.headers
