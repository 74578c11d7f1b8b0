"""The shared outbound HTTP pieces: client construction and the one retry policy."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from qbsync.errors import QbsyncError

log = logging.getLogger(__name__)

T = TypeVar("T")


_KEEPALIVE = 20


class AiohttpWire(AiohttpTransport):
    """httpx's API on aiohttp's connection pool and C parser: a third of httpcore's CPU per
    request (0.6 ms against 1.8 ms measured here), which is most of qbsync's CPU an event
    spends outside the database (docs/quickbooks-cost.md, "CPU per event").

    Two things the stock transport leaves out: cookies stay with httpx (aiohttp would keep a
    second jar and send them again), and an upstream's malformed answer, which aiohttp raises
    as an error the transport does not translate, becomes httpx's ``RemoteProtocolError`` like
    any other transport failure, so callers catch one family of errors.
    """

    def get_client(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self.limits.max_connections or 0,
            limit_per_host=0,
            keepalive_timeout=self.limits.keepalive_expiry or 0,
            ssl=self.ssl_context,
        )
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except aiohttp.ClientError as exc:
            raise httpx.RemoteProtocolError(
                str(exc) or type(exc).__name__, request=request
            ) from exc


def build_http_client(
    *,
    base_url: str = "",
    timeout_s: float,
    user_agent: str,
    max_connections: int = 100,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """One long-lived client per upstream; callers own its lifetime (see resources.py)."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=_KEEPALIVE)
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
        limits=limits,
        headers={"User-Agent": user_agent},
        transport=transport or AiohttpWire(limits=limits),
    )


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, QbsyncError) and exc.retryable


def _wait_for(retry_state: RetryCallState, fallback: Callable[[RetryCallState], float]) -> float:
    """Honour a server-given delay (``retry_after_s`` on the error) when it is longer."""
    outcome = retry_state.outcome
    exc = outcome.exception() if outcome is not None else None
    hinted = getattr(exc, "retry_after_s", None)
    computed = fallback(retry_state)
    return max(computed, float(hinted)) if isinstance(hinted, int | float) else computed


def _log_retry(retry_state: RetryCallState) -> None:
    outcome = retry_state.outcome
    exc = outcome.exception() if outcome is not None else None
    log.info(
        "retrying after retryable error",
        extra={
            "attempt": retry_state.attempt_number,
            "error": type(exc).__name__ if exc else None,
            "code": getattr(exc, "code", None),
        },
    )


def retry_policy(
    *,
    max_attempts: int = 5,
    max_delay_s: float = 60.0,
    initial_s: float = 0.5,
    max_backoff_s: float = 30.0,
    **overrides: Any,
) -> AsyncRetrying:
    """The one tenacity policy: only retryable qbsync errors, jittered exponential backoff,
    bounded in attempts and total time, and the caller sees our error (``reraise``)."""
    backoff = wait_exponential_jitter(multiplier=initial_s, max=max_backoff_s, jitter=initial_s)
    options: dict[str, Any] = {
        "retry": retry_if_exception(is_retryable),
        "wait": lambda state: _wait_for(state, backoff),
        "stop": stop_after_attempt(max_attempts) | stop_after_delay(max_delay_s),
        "reraise": True,
        "before_sleep": _log_retry,
    }
    options.update(overrides)
    return AsyncRetrying(**options)


async def with_retries(policy: Callable[[], AsyncRetrying], call: Callable[[], Awaitable[T]]) -> T:
    """``call()`` under ``policy()``, which is built and entered only once the first attempt
    has failed: nearly every call succeeds at once, and tenacity's machinery cost more CPU
    than the GET it wrapped (docs/quickbooks-cost.md, "CPU per event").

    The first failure becomes the policy's first attempt, so attempts, waits, logging and
    which errors are retried stay the policy's; only its time bound counts from that failure.
    """
    try:
        return await call()
    except Exception as exc:
        first: Exception | None = exc

    async def attempt() -> T:
        nonlocal first
        if first is not None:
            failed, first = first, None
            raise failed
        return await call()

    result: T = await policy()(attempt)
    return result
