"""The outbound HTTP client every upstream shares (qbsync/http.py), against raw servers on
127.0.0.1 that answer exactly the bytes each test gives them."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from tenacity import AsyncRetrying

from qbsync.errors import QbsyncError
from qbsync.http import build_http_client, retry_policy, with_retries

Answer = Callable[[bytes], bytes]


@asynccontextmanager
async def raw_server(answer: Answer) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A server that reads one request head per connection turn and writes ``answer(head)``."""
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                heads.append(head)
                writer.write(answer(head))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}", heads


def _ok(extra_headers: str = "") -> Answer:
    def answer(_: bytes) -> bytes:
        body = b'{"ok": true}'
        return (
            f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{extra_headers}"
            f"content-length: {len(body)}\r\n\r\n"
        ).encode() + body

    return answer


def client() -> httpx.AsyncClient:
    return build_http_client(timeout_s=5.0, user_agent="qbsync-test")


async def test_answers_arrive_as_httpx_responses_on_kept_alive_connections() -> None:
    async with raw_server(_ok()) as (url, heads), client() as http:
        first = await http.get(f"{url}/a", params={"q": "x y"}, headers={"X-Org": "9"})
        second = await http.post(f"{url}/b", json={"n": 1})
    assert first.status_code == 200
    assert first.json() == {"ok": True}
    assert second.status_code == 200
    assert heads[0].startswith(b"GET /a?q=x+y HTTP/1.1\r\n")
    assert b"\r\nx-org: 9\r\n" in heads[0].lower()
    assert b"\r\nuser-agent: qbsync-test\r\n" in heads[0].lower()
    assert heads[1].startswith(b"POST /b HTTP/1.1\r\n")


async def test_a_malformed_answer_is_a_transport_error_of_httpx() -> None:
    async with raw_server(lambda _: b"NOT HTTP AT ALL\r\n\r\n") as (url, _), client() as http:
        with pytest.raises(httpx.TransportError):
            await http.get(f"{url}/x")


async def test_a_refused_connection_is_a_transport_error_of_httpx() -> None:
    async with raw_server(_ok()) as (url, _):
        pass  # closed: nothing listens on its port any more
    async with client() as http:
        with pytest.raises(httpx.TransportError):
            await http.get(f"{url}/x")


async def test_a_silent_upstream_times_out_as_httpx_does() -> None:
    async with (
        raw_server(lambda _: b"") as (url, _),
        build_http_client(timeout_s=0.2, user_agent="qbsync-test") as http,
    ):
        with pytest.raises(httpx.TimeoutException):
            await http.get(f"{url}/x")


async def test_a_compressed_answer_arrives_decoded() -> None:
    body = gzip.compress(b'{"ok": true, "amount": 12.50}')

    def answer(_: bytes) -> bytes:
        return (
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n"
            f"content-length: {len(body)}\r\n\r\n"
        ).encode() + body

    async with raw_server(answer) as (url, heads), client() as http:
        response = await http.get(f"{url}/z")
    assert b"gzip" in heads[0].lower()  # asked for, as httpx does
    assert response.content == b'{"ok": true, "amount": 12.50}'


async def test_cookies_an_upstream_sets_are_never_sent_on() -> None:
    # One client serves every organization: a cookie from one tenant's answer must not ride
    # on the next tenant's request.
    async with raw_server(_ok("set-cookie: s=1; Path=/\r\n")) as (url, heads), client() as http:
        first = await http.get(f"{url}/first")
        await http.get(f"{url}/second")
    assert first.headers["set-cookie"] == "s=1; Path=/"
    assert not [line for line in heads[1].split(b"\r\n") if line.lower().startswith(b"cookie")]
    assert not http.cookies


class _Calls:
    """A call that fails with the given errors in turn, then answers its call count."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.count = 0
        self.policies = 0

    async def __call__(self) -> int:
        self.count += 1
        if self.failures:
            raise self.failures.pop(0)
        return self.count

    def policy(self, attempts: int = 3) -> AsyncRetrying:
        self.policies += 1
        return retry_policy(max_attempts=attempts, initial_s=0.001, max_backoff_s=0.001)


def _retryable() -> QbsyncError:
    return QbsyncError("upstream wobbled", retryable=True)


async def test_a_first_success_never_builds_the_retry_policy() -> None:
    calls = _Calls()
    assert await with_retries(calls.policy, calls) == 1
    assert calls.policies == 0


async def test_a_retryable_failure_counts_as_the_policys_first_attempt() -> None:
    calls = _Calls(_retryable(), _retryable())
    assert await with_retries(calls.policy, calls) == 3
    assert calls.policies == 1

    exhausted = _Calls(_retryable(), _retryable(), _retryable(), _retryable())
    with pytest.raises(QbsyncError, match="wobbled"):
        await with_retries(exhausted.policy, exhausted)
    assert exhausted.count == 3  # max_attempts in all, the first one included


async def test_an_error_the_policy_does_not_retry_is_raised_after_one_call() -> None:
    calls = _Calls(QbsyncError("refused"), _retryable())
    with pytest.raises(QbsyncError, match="refused"):
        await with_retries(calls.policy, calls)
    assert calls.count == 1
