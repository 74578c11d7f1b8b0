"""The shared outbound HTTP pieces: client construction and the one retry policy."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
import httpx
from aiohttp import ClientTimeout
from httpx_aiohttp import AiohttpTransport
from httpx_aiohttp.transport import map_aiohttp_exceptions
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

    Two things the stock transport leaves out: cookies are httpx's business (aiohttp would
    keep a jar of its own and send them again), and an upstream's malformed answer, which
    aiohttp raises as an error the transport does not translate, becomes httpx's
    ``RemoteProtocolError`` like any other transport failure, so callers catch one family
    of errors.
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
            try:
                content = request.content
            except httpx.RequestNotRead:  # a streamed body: the stock transport streams it
                return await super().handle_async_request(request)
            return await self._exchange(request, content)
        except aiohttp.ClientError as exc:
            raise httpx.RemoteProtocolError(
                str(exc) or type(exc).__name__, request=request
            ) from exc

    async def _exchange(self, request: httpx.Request, content: bytes) -> httpx.Response:
        """The stock transport's request, leaner: headers handed over as the raw pairs
        (aiohttp reading httpx's ``Headers`` decodes every header again for each one), one
        timeout object per set of timeouts, and the whole answer read at once (qbsync
        reads every answer whole): 0.1 ms of CPU less per request."""
        if not isinstance(self.client, aiohttp.ClientSession):
            self.client = self.get_client()
        with map_aiohttp_exceptions():
            async with self.client.request(
                request.method,
                str(request.url),
                headers=[
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw
                ],
                data=content or None,
                allow_redirects=False,
                auto_decompress=False,
                compress=False,
                timeout=_timeout(request.extensions.get("timeout") or {}),
                server_hostname=request.extensions.get("sni_hostname"),
            ) as answer:
                body = await answer.read()
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if answer.reason:
            extensions["reason_phrase"] = answer.reason.encode()
        return httpx.Response(
            answer.status,
            headers=answer.raw_headers,
            content=body,
            request=request,
            extensions=extensions,
        )


@functools.lru_cache(maxsize=16)
def _client_timeout(connect: float | None, read: float | None, pool: float | None) -> ClientTimeout:
    # As the stock transport maps httpx's timeouts.
    return ClientTimeout(sock_connect=connect, sock_read=read, connect=pool)


def _timeout(given: dict[str, float | None]) -> ClientTimeout:
    return _client_timeout(given.get("connect"), given.get("read"), given.get("pool"))


class _NoCookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        """An answer's cookies are not kept."""


_NO_COOKIES = _NoCookies()


class ServiceClient(httpx.AsyncClient):
    """httpx's client for calls from service to service, which keeps no cookies.

    One client serves every organization, so a cookie one tenant's answer set would ride on
    the next tenant's request; and the jar parsed every answer through the stdlib's cookie
    machinery, a fifth of a GET's CPU here, for upstreams (Aforo, QuickBooks) whose
    sessions are bearer tokens.
    """

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        if cookies:
            raise ValueError("a service client keeps no cookies")


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
    return ServiceClient(
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
