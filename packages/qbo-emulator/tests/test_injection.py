"""Fault injection: queued one-shot faults, error rates, lost responses and timeouts over HTTP."""

from __future__ import annotations

import base64

import httpx
import pytest

from qbo_emulator.config import ErrorRates, RefreshReuse
from qbo_emulator.control import EmulatorControl
from support import SEED_REALM, Qbo, body, fault_code


@pytest.fixture
async def real_control(real_http: httpx.AsyncClient, served: str) -> EmulatorControl:
    return EmulatorControl(served, real_http)


@pytest.fixture
async def real_qbo(real_http: httpx.AsyncClient, real_control: EmulatorControl) -> Qbo:
    tokens = await real_control.issue_tokens(SEED_REALM)
    return Qbo(real_http, realm_id=SEED_REALM, access_token=tokens.access_token)


class TestQueuedFaults:
    async def test_http_500_is_a_system_fault_once(
        self, qbo: Qbo, control: EmulatorControl
    ) -> None:
        await control.queue_fault(
            "http_500", realm_id=SEED_REALM, method="POST", path_contains="/customer"
        )
        failed = await qbo.post("customer", {"DisplayName": "Retry Me"})
        assert failed.status_code == 500
        fault = body(failed)["Fault"]
        assert (fault["type"], fault["Error"][0]["code"]) == ("SystemFault", "10000")
        assert await control.entities(SEED_REALM, "Customer") == []
        assert (await qbo.post("customer", {"DisplayName": "Retry Me"})).status_code == 200

    async def test_http_503_is_an_html_page(self, qbo: Qbo, control: EmulatorControl) -> None:
        await control.queue_fault("http_503")
        response = await qbo.get("preferences")
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("text/html")

    @pytest.mark.parametrize("kind", ["stale", "stale(5010)"])
    async def test_stale_fault(self, qbo: Qbo, kind: str) -> None:
        response = await qbo.http.post(
            "/_emulator/faults", json={"kind": kind, "path_contains": "/customer"}
        )
        assert response.status_code == 201
        assert fault_code(await qbo.post("customer", {"DisplayName": "Never"})) == "5010"
        assert (await qbo.post("customer", {"DisplayName": "Never"})).status_code == 200

    async def test_a_batch_item_left_out_of_the_answer_still_ran_and_stays_left_out(
        self, qbo: Qbo, control: EmulatorControl
    ) -> None:
        await control.queue_fault("batch_item_omitted", path_contains="/batch")
        items = [
            {"bId": str(n), "operation": "create", "Customer": {"DisplayName": f"Batched {n}"}}
            for n in range(3)
        ]
        answers = []
        for _ in range(2):  # the same requestid again: the replay store's copy
            response = await qbo.post("batch", {"BatchItemRequest": items}, requestid="omit-1")
            assert response.status_code == 200
            answers.append([a["bId"] for a in body(response)["BatchItemResponse"]])
        assert answers == [["0", "1"], ["0", "1"]]
        held = await control.entities(SEED_REALM, "Customer")
        assert sorted(r.body["DisplayName"] for r in held) == [f"Batched {n}" for n in range(3)]

    async def test_only_matching_requests_are_hit(self, qbo: Qbo, control: EmulatorControl) -> None:
        await control.queue_fault("throttle", method="POST", path_contains="/invoice", count=2)
        assert (await qbo.get("preferences")).status_code == 200
        assert (await qbo.post("customer", {"DisplayName": "Fine"})).status_code == 200
        log = await control.requests(SEED_REALM)
        assert [entry.fault for entry in log] == [None, None]

    async def test_once_per_request_spreads_the_count_over_different_writes(
        self, qbo: Qbo, control: EmulatorControl
    ) -> None:
        await control.queue_fault(
            "http_500", method="POST", path_contains="/customer", count=2, once_per_request=True
        )
        first = {"DisplayName": "Once A"}
        assert (await qbo.post("customer", first, requestid="req-a")).status_code == 500
        # Its retry goes through; the next write takes the second hit.
        assert (await qbo.post("customer", first, requestid="req-a")).status_code == 200
        second = {"DisplayName": "Once B"}
        assert (await qbo.post("customer", second, requestid="req-b")).status_code == 500
        assert (await qbo.post("customer", second, requestid="req-b")).status_code == 200
        assert (await qbo.post("customer", {"DisplayName": "C"}, requestid="c")).status_code == 200


class TestRates:
    async def test_rate_one_hits_every_request_and_zero_none(
        self, qbo: Qbo, control: EmulatorControl
    ) -> None:
        await control.configure(rates=ErrorRates(http_500=1.0))
        assert (await qbo.get("preferences")).status_code == 500
        await control.configure(rates=ErrorRates())
        assert (await qbo.get("preferences")).status_code == 200


class TestLostResponse:
    async def test_write_lands_but_the_client_sees_a_network_error(
        self, real_qbo: Qbo, real_control: EmulatorControl
    ) -> None:
        await real_control.queue_fault("lost_response", method="POST", path_contains="/invoice")
        customer = await real_qbo.customer("Lost Co")
        payload = {
            "CustomerRef": {"value": customer["Id"]},
            "DocNumber": "INV-LOST-1",
            "Line": [
                {
                    "Amount": 10,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        }
        with pytest.raises(httpx.TransportError):
            await real_qbo.post("invoice", payload, requestid="inv-lost-1")
        held = await real_control.entities(SEED_REALM, "Invoice")
        assert len(held) == 1
        # The client retries with the same requestid and gets the original answer.
        retried = await real_qbo.post("invoice", payload, requestid="inv-lost-1")
        assert retried.status_code == 200
        assert body(retried)["Invoice"]["Id"] == held[0].id
        assert len(await real_control.entities(SEED_REALM, "Invoice")) == 1
        # Without the requestid the retry meets the DocNumber rule instead.
        assert fault_code(await real_qbo.post("invoice", payload)) == "6140"

    async def test_timeout_withholds_and_commits_nothing(
        self, served: str, real_control: EmulatorControl
    ) -> None:
        await real_control.configure(timeout_hold_s=5.0)
        await real_control.queue_fault("timeout", path_contains="/customer")
        tokens = await real_control.issue_tokens(SEED_REALM)
        async with httpx.AsyncClient(base_url=served, timeout=0.3) as impatient:
            qbo = Qbo(impatient, realm_id=SEED_REALM, access_token=tokens.access_token)
            with pytest.raises(httpx.TimeoutException):
                await qbo.post("customer", {"DisplayName": "Slow Co"})
        assert await real_control.entities(SEED_REALM, "Customer") == []

    @pytest.mark.parametrize(
        ("reuse", "recovers"), [("grace", True), ("revoke", False)], ids=["grace", "revoke"]
    )
    async def test_a_lost_refresh_answer_and_the_retry_with_the_old_token(
        self,
        real_http: httpx.AsyncClient,
        real_control: EmulatorControl,
        reuse: RefreshReuse,
        recovers: bool,
    ) -> None:
        """The rotation happened but the client never saw the new token. Under Intuit's
        documented grace the retry with the old token works; under "revoke" it ends the
        connection."""
        await real_control.configure(refresh_token_reuse=reuse)
        issued = await real_control.issue_tokens(SEED_REALM)
        await real_control.queue_fault("lost_response", path_contains="/oauth2/v1/tokens/bearer")
        auth = "Basic " + base64.b64encode(b"emulator-client-id:emulator-client-secret").decode()
        form = {"grant_type": "refresh_token", "refresh_token": issued.refresh_token}
        with pytest.raises(httpx.TransportError):
            await real_http.post(
                "/oauth2/v1/tokens/bearer", data=form, headers={"Authorization": auth}
            )
        again = await real_http.post(
            "/oauth2/v1/tokens/bearer", data=form, headers={"Authorization": auth}
        )
        assert (again.status_code == 200) is recovers
        if not recovers:
            assert again.json()["error"] == "invalid_grant"
