"""Per-realm throttling: 429 with fault 3001 (XML by default), per minute and in flight."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET

import httpx

from qbo_emulator.control import EmulatorControl
from support import SEED_REALM, Qbo

NS = {"i": "http://schema.intuit.com/finance/v3"}


def _assert_xml_throttle(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "{http://schema.intuit.com/finance/v3}IntuitResponse"
    assert root.get("time")
    fault = root.find("i:Fault", NS)
    assert fault is not None
    assert fault.get("type") == "SERVICE"
    error = fault.find("i:Error", NS)
    assert error is not None
    assert error.get("code") == "3001"
    assert error.findtext("i:Message", namespaces=NS) == (
        "message=ThrottleExceeded; errorCode=003001; statusCode=429"
    )


class TestPerMinute:
    async def test_the_request_over_the_limit_gets_429_xml(
        self, qbo: Qbo, control: EmulatorControl
    ) -> None:
        await control.configure(requests_per_minute=3)
        for _ in range(3):
            assert (await qbo.get("preferences")).status_code == 200
        throttled = await qbo.get("preferences")
        _assert_xml_throttle(throttled)
        assert "intuit_tid" in throttled.headers
        log = await control.requests(SEED_REALM)
        assert [(entry.status, entry.fault) for entry in log][-1] == (429, "throttle")

    async def test_json_body_knob(self, qbo: Qbo, control: EmulatorControl) -> None:
        await control.configure(requests_per_minute=1, throttle_body="json")
        await qbo.get("preferences")
        throttled = await qbo.get("preferences")
        assert throttled.status_code == 429
        error = throttled.json()["fault"]["error"][0]
        assert (error["code"], throttled.json()["fault"]["type"]) == ("3001", "SERVICE")

    async def test_limits_are_per_realm(self, qbo: Qbo, control: EmulatorControl) -> None:
        await control.configure(requests_per_minute=1)
        await qbo.get("preferences")
        other = await control.create_realm()
        tokens = await control.issue_tokens(other.realm_id)
        elsewhere = Qbo(qbo.http, realm_id=other.realm_id, access_token=tokens.access_token)
        assert (await elsewhere.get("preferences")).status_code == 200
        assert (await qbo.get("preferences")).status_code == 429


class TestInFlight:
    async def test_more_than_max_in_flight_concurrent_requests_get_429(
        self, qbo: Qbo, control: EmulatorControl
    ) -> None:
        # Latency keeps every admitted request in flight while the rest arrive.
        await control.configure(max_in_flight=10, latency_ms=(500, 500))
        responses = await asyncio.gather(*(qbo.get("preferences") for _ in range(14)))
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200] * 10 + [429] * 4
        for response in responses:
            if response.status_code == 429:
                _assert_xml_throttle(response)
        await control.configure(latency_ms=(0, 0))
        assert (await qbo.get("preferences")).status_code == 200
