"""How the client behaves on every error kind: retries, refresh, mapping, same requestid."""

from __future__ import annotations

import httpx
import pytest
import respx

from qbsync.config import QuickBooksSettings
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.errors import (
    QuickBooksAuthError,
    QuickBooksDuplicateDocNumber,
    QuickBooksDuplicateName,
    QuickBooksError,
    QuickBooksNotFound,
    QuickBooksStaleObject,
    QuickBooksThrottled,
    QuickBooksUnavailable,
    QuickBooksValidationError,
)
from qbsync.quickbooks.limiter import RealmLimiter
from qbsync.quickbooks.schemas import Customer, Invoice

from .conftest import REALM_ID, FakeClock, FakeTokens, fault, qbo_json
from .test_errors import LOWER_CASE_401, XML_THROTTLE

OK_CUSTOMER = {"Customer": {"Id": "70", "SyncToken": "0", "DisplayName": "Acme"}}


def _request_ids(route: respx.Route) -> list[str]:
    return [call.request.url.params["requestid"] for call in route.calls]


async def _create(qbo: QuickBooksClient) -> Customer:
    return await qbo.create(Customer(display_name="Acme"), request_id="cust-acme-v1")


class TestTransient:
    async def test_network_error_then_success_reuses_requestid(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        route = qbo_mock.post("/customer").mock(
            side_effect=[httpx.ConnectError("connection reset"), qbo_json(OK_CUSTOMER)]
        )
        created = await _create(qbo)
        assert created.id == "70"
        assert _request_ids(route) == ["cust-acme-v1", "cust-acme-v1"]
        assert route.calls[0].request.content == route.calls[1].request.content

    async def test_timeout_then_success_reuses_requestid(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        route = qbo_mock.post("/customer").mock(
            side_effect=[httpx.ReadTimeout("read timed out"), qbo_json(OK_CUSTOMER)]
        )
        await _create(qbo)
        assert _request_ids(route) == ["cust-acme-v1", "cust-acme-v1"]

    async def test_timeouts_until_attempts_run_out(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        route = qbo_mock.post("/customer").mock(side_effect=httpx.ConnectTimeout("slow"))
        with pytest.raises(QuickBooksUnavailable, match="timed out") as caught:
            await _create(qbo)
        assert isinstance(caught.value.__cause__, httpx.ConnectTimeout)
        assert _request_ids(route) == ["cust-acme-v1"] * 3  # settings.max_attempts

    async def test_html_502_is_retried(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        bad_gateway = httpx.Response(
            502,
            content=b"<html><body><h1>502 Bad Gateway</h1></body></html>",
            headers={"Content-Type": "text/html"},
        )
        route = qbo_mock.post("/customer").mock(side_effect=[bad_gateway, qbo_json(OK_CUSTOMER)])
        await _create(qbo)
        assert route.call_count == 2

    async def test_503_every_time_gives_unavailable(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        route = qbo_mock.get("/customer/70").mock(
            return_value=httpx.Response(503, headers={"intuit_tid": "1-down"})
        )
        with pytest.raises(QuickBooksUnavailable) as caught:
            await qbo.read(Customer, "70")
        assert caught.value.http_status == 503
        assert caught.value.intuit_tid == "1-down"
        assert route.call_count == 3

    async def test_xml_429_pauses_the_realm_then_succeeds(
        self,
        http: httpx.AsyncClient,
        tokens: FakeTokens,
        qbo_settings: QuickBooksSettings,
        qbo_mock: respx.Router,
    ) -> None:
        clock = FakeClock()
        limiter = RealmLimiter(10, 500, throttle_pause_s=5.0, clock=clock, sleep=clock.sleep)
        qbo = QuickBooksClient(
            http, realm_id=REALM_ID, tokens=tokens, settings=qbo_settings, limiter=limiter
        )
        throttled = httpx.Response(
            429,
            content=XML_THROTTLE,
            headers={"Content-Type": "application/xml", "intuit_tid": "1-429"},
        )
        route = qbo_mock.post("/customer").mock(side_effect=[throttled, qbo_json(OK_CUSTOMER)])
        await _create(qbo)
        assert _request_ids(route) == ["cust-acme-v1", "cust-acme-v1"]
        # The retry waited in the limiter for the realm's pause (fake time).
        assert clock.sleeps == [5.0]

    async def test_429_every_time_gives_throttled(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        qbo_mock.post("/query").mock(
            return_value=httpx.Response(429, content=XML_THROTTLE, headers={"Retry-After": "0"})
        )
        with pytest.raises(QuickBooksThrottled) as caught:
            await qbo.count(Customer)
        assert caught.value.fault_code == "3001"
        assert caught.value.retry_after_s == 0.0

    async def test_long_retry_after_is_capped(
        self,
        http: httpx.AsyncClient,
        tokens: FakeTokens,
        qbo_settings: QuickBooksSettings,
        qbo_mock: respx.Router,
    ) -> None:
        settings = qbo_settings.model_copy(update={"max_attempts": 1, "max_backoff_s": 20.0})
        clock = FakeClock()
        limiter = RealmLimiter(10, 500, clock=clock, sleep=clock.sleep)
        qbo = QuickBooksClient(
            http, realm_id=REALM_ID, tokens=tokens, settings=settings, limiter=limiter
        )
        qbo_mock.post("/query").mock(
            return_value=httpx.Response(429, content=XML_THROTTLE, headers={"Retry-After": "3600"})
        )
        with pytest.raises(QuickBooksThrottled) as caught:
            await qbo.count(Customer)
        assert caught.value.retry_after_s == 20.0
        assert limiter.paused_until == 20.0

    async def test_non_json_200_is_retried(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        junk = httpx.Response(200, content=b"<html>maintenance</html>")
        route = qbo_mock.post("/customer").mock(side_effect=[junk, qbo_json(OK_CUSTOMER)])
        await _create(qbo)
        assert _request_ids(route) == ["cust-acme-v1", "cust-acme-v1"]


class TestAuth:
    async def test_401_refreshes_once_and_repeats_with_same_requestid(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router, tokens: FakeTokens
    ) -> None:
        route = qbo_mock.post("/customer").mock(
            side_effect=[qbo_json(LOWER_CASE_401, 401), qbo_json(OK_CUSTOMER)]
        )
        created = await _create(qbo)
        assert created.id == "70"
        assert tokens.rejected == ["token-0"]
        assert [c.request.headers["Authorization"] for c in route.calls] == [
            "Bearer token-0",
            "Bearer token-1",
        ]
        assert _request_ids(route) == ["cust-acme-v1", "cust-acme-v1"]

    async def test_second_401_is_an_auth_error(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router, tokens: FakeTokens
    ) -> None:
        route = qbo_mock.post("/customer").mock(return_value=qbo_json(LOWER_CASE_401, 401))
        with pytest.raises(QuickBooksAuthError) as caught:
            await _create(qbo)
        assert caught.value.is_token_problem
        assert tokens.rejected == ["token-0"]
        assert route.call_count == 2

    async def test_refresh_budget_spans_retries(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router, tokens: FakeTokens
    ) -> None:
        route = qbo_mock.post("/customer").mock(
            side_effect=[
                qbo_json(LOWER_CASE_401, 401),
                httpx.Response(503),
                qbo_json(LOWER_CASE_401, 401),
            ]
        )
        with pytest.raises(QuickBooksAuthError):
            await _create(qbo)
        assert tokens.rejected == ["token-0"]
        assert route.call_count == 3
        assert route.calls[2].request.headers["Authorization"] == "Bearer token-1"

    async def test_403_is_not_refreshed(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router, tokens: FakeTokens
    ) -> None:
        body = {
            "fault": {
                "error": [{"message": "ApplicationAuthorizationFailed", "code": "3100"}],
                "type": "AUTHORIZATION",
            }
        }
        route = qbo_mock.get("/customer/1").mock(return_value=qbo_json(body, 403))
        with pytest.raises(QuickBooksAuthError) as caught:
            await qbo.read(Customer, "1")
        assert not caught.value.is_token_problem
        assert tokens.rejected == []
        assert route.call_count == 1


class TestPermanentFaults:
    @pytest.mark.parametrize(
        ("code", "cls"),
        [
            ("5010", QuickBooksStaleObject),
            ("6240", QuickBooksDuplicateName),
            ("6140", QuickBooksDuplicateDocNumber),
            ("610", QuickBooksNotFound),
            ("2050", QuickBooksValidationError),
        ],
    )
    async def test_faults_are_not_retried(
        self,
        qbo: QuickBooksClient,
        qbo_mock: respx.Router,
        code: str,
        cls: type[QuickBooksError],
    ) -> None:
        route = qbo_mock.post("/invoice").mock(
            return_value=qbo_json(fault(code, "Rejected", element="DocNumber"), 400, tid="1-f")
        )
        with pytest.raises(cls) as caught:
            await qbo.create(Invoice(doc_number="INV-1"), request_id="inv-1")
        assert route.call_count == 1
        assert caught.value.fault_code == code
        assert caught.value.intuit_tid == "1-f"
        assert caught.value.element == "DocNumber"
        assert qbo.last_intuit_tid == "1-f"

    async def test_fault_in_a_200(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        route = qbo_mock.post("/customer").mock(
            return_value=qbo_json(fault("6240", "Duplicate Name Exists Error"), 200)
        )
        with pytest.raises(QuickBooksDuplicateName) as caught:
            await _create(qbo)
        assert caught.value.http_status == 200
        assert route.call_count == 1

    async def test_system_fault_is_retried(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        system = qbo_json(fault("10000", "An application error has occurred"), 500)
        route = qbo_mock.post("/customer").mock(side_effect=[system, qbo_json(OK_CUSTOMER)])
        await _create(qbo)
        assert _request_ids(route) == ["cust-acme-v1", "cust-acme-v1"]
