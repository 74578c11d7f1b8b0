"""Fixtures for the Aforo adapter tests: credentials on a fake clock, fast retries, mocks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from joserfc import jwt
from joserfc.jwk import OctKey
from pydantic import SecretStr

from qbsync.aforo.auth import AforoCredentials
from qbsync.aforo.base import AforoRetry

SECRET = SecretStr("test-secret-for-aforo-services-0123456789")
OTHER_SECRET = SecretStr("another-secret-nobody-shares-0123456789")
ORG_ID = 9
TTL_S = 300
START = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)

ORG_URL = "http://org.test"
METERING_URL = "http://metering.test"
RATEPLAN_URL = "http://product.test"
PAYMENT_URL = "http://payment.test"

# Waits of a few milliseconds: the behaviour under test is the retrying, not the clock.
FAST_RETRY = AforoRetry(max_attempts=3, initial_s=0.001, max_backoff_s=0.002, max_delay_s=2.0)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def claims_of(request: httpx.Request) -> dict[str, Any]:
    """The claims of the bearer token a request carries, checked against the shared secret."""
    scheme, _, token = request.headers["Authorization"].partition(" ")
    assert scheme == "Bearer"
    return dict(jwt.decode(token, OctKey.import_key(SECRET.get_secret_value())).claims)


def caller_token(*, secret: SecretStr = SECRET, **claims: Any) -> str:
    key = OctKey.import_key(secret.get_secret_value())
    return jwt.encode({"alg": "HS256"}, claims, key)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def credentials(clock: FakeClock) -> AforoCredentials:
    return AforoCredentials(SECRET, TTL_S, clock=clock)


def _mock(base_url: str) -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=base_url, assert_all_called=True) as router:
        yield router


@pytest.fixture
def org_mock() -> Iterator[respx.MockRouter]:
    yield from _mock(ORG_URL)


@pytest.fixture
def metering_mock() -> Iterator[respx.MockRouter]:
    yield from _mock(METERING_URL)


@pytest.fixture
def rateplan_mock() -> Iterator[respx.MockRouter]:
    yield from _mock(RATEPLAN_URL)


@pytest.fixture
def payment_mock() -> Iterator[respx.MockRouter]:
    yield from _mock(PAYMENT_URL)


async def _http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url) as http:
        yield http


@pytest.fixture
async def org_http() -> AsyncIterator[httpx.AsyncClient]:
    async for http in _http(ORG_URL):
        yield http


@pytest.fixture
async def metering_http() -> AsyncIterator[httpx.AsyncClient]:
    async for http in _http(METERING_URL):
        yield http


@pytest.fixture
async def rateplan_http() -> AsyncIterator[httpx.AsyncClient]:
    async for http in _http(RATEPLAN_URL):
        yield http


@pytest.fixture
async def payment_http() -> AsyncIterator[httpx.AsyncClient]:
    async for http in _http(PAYMENT_URL):
        yield http
