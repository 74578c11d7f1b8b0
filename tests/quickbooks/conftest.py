"""Fixtures for the QuickBooks client tests: settings, a token double, a respx router."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from qbsync.config import QuickBooksSettings
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.limiter import RealmLimiter

BASE_URL = "https://qbo.test"
REALM_ID = "9341457604445280"
COMPANY_URL = f"{BASE_URL}/v3/company/{REALM_ID}"
USER_AGENT = "qbsync-tests/1.0"


class FakeTokens:
    """A TokenProvider that hands out ``token-0``, then ``token-1`` after a refresh."""

    def __init__(self) -> None:
        self.generation = 0
        self.rejected: list[str] = []

    @property
    def current(self) -> str:
        return f"token-{self.generation}"

    async def get_token(self) -> str:
        return self.current

    async def refresh(self, rejected_token: str) -> str:
        self.rejected.append(rejected_token)
        self.generation += 1
        return self.current


class FakeClock:
    """Time moves only when someone sleeps; no test depends on the wall clock."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def qbo_settings() -> QuickBooksSettings:
    # max_backoff_s=0: retries happen at once, so tests never sleep.
    return QuickBooksSettings(
        api_base_url=BASE_URL, user_agent=USER_AGENT, max_attempts=3, max_backoff_s=0
    )


@pytest.fixture
def tokens() -> FakeTokens:
    return FakeTokens()


@pytest.fixture
def limiter() -> RealmLimiter:
    # Real-time rate limits would only slow the suite down; test_limiter covers them.
    return RealmLimiter(10, 10_000, per_second=10_000, throttle_pause_s=0)


@pytest.fixture
def qbo_mock() -> Iterator[respx.Router]:
    router = respx.Router(base_url=COMPANY_URL, assert_all_called=True)
    yield router
    router.assert_all_called()


@pytest.fixture
async def http(qbo_mock: respx.Router) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(qbo_mock.async_handler)) as client:
        yield client


@pytest.fixture
def qbo(
    http: httpx.AsyncClient,
    tokens: FakeTokens,
    qbo_settings: QuickBooksSettings,
    limiter: RealmLimiter,
) -> QuickBooksClient:
    return QuickBooksClient(
        http, realm_id=REALM_ID, tokens=tokens, settings=qbo_settings, limiter=limiter
    )


def qbo_json(payload: Any, status: int = 200, *, tid: str = "1-tid") -> httpx.Response:
    """A QBO-like answer; Decimals are written as JSON numbers."""
    body = json.dumps(payload, default=_decimal_as_number)
    return httpx.Response(
        status,
        content=body.encode(),
        headers={"Content-Type": "application/json;charset=utf-8", "intuit_tid": tid},
    )


def _decimal_as_number(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


def sent_json(request: httpx.Request) -> Any:
    return json.loads(request.content, parse_float=Decimal)


def fault(code: str, message: str, *, detail: str = "", element: str = "") -> dict[str, Any]:
    return {
        "Fault": {
            "Error": [{"Message": message, "Detail": detail, "code": code, "element": element}],
            "type": "ValidationFault",
        },
        "time": "2025-11-01T10:00:00.000-07:00",
    }
