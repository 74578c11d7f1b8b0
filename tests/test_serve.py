"""``qbsync serve`` as an operator runs it: a real process on a loopback port, its console
log read back. What it logs per request, and how it treats slow and greedy clients."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.settings import TEST_FERNET_KEY, TEST_JWT_SECRET, unique_amqp_names

HEADER_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 1.5
LIMIT = 40


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Served:
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)


@pytest.fixture(scope="module")
def served(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``qbsync serve`` with short deadlines, in an empty directory (no .env), console log."""
    workdir = tmp_path_factory.mktemp("serve")
    port = _free_port()
    amqp = unique_amqp_names("serve")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "QBSYNC_JWT_SECRET": TEST_JWT_SECRET,
        "QBSYNC_TOKEN_ENCRYPTION_KEYS": TEST_FERNET_KEY,
        "QBSYNC_DB__URL": database_url,
        "QBSYNC_SERVER__PORT": str(port),
        "QBSYNC_SERVER__RUN_CONSUMERS": "false",
        "QBSYNC_SERVER__HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        "QBSYNC_SERVER__BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
        "QBSYNC_SERVER__LIMIT_CONCURRENCY": str(LIMIT),
        "QBSYNC_LOG__LEVEL": "INFO",
        # Nothing leaves the machine, whatever a request makes qbsync try.
        "QBSYNC_QUICKBOOKS__TOKEN_URL": "http://127.0.0.1:9/token",
        "QBSYNC_AUTH__JWKS_URL": "http://127.0.0.1:9/jwks",
        **{f"QBSYNC_AMQP__{key.upper()}": value for key, value in amqp.items()},
    }
    log = workdir / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "qbsync.cli", "serve"],
            cwd=workdir,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    served = Served(port, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{served.url}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield served
    finally:
        process.terminate()
        process.wait(timeout=30)


def _read_until_closed(sock: socket.socket, limit_s: float) -> bytes:
    """Everything the server sends until it closes the connection (or ``limit_s`` passes)."""
    sock.settimeout(limit_s)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except TimeoutError:
        return received + b"<still open>"
    return received


class TestAccessLog:
    def test_each_request_is_logged_once_without_its_query_string(self, served: Served) -> None:
        link = "/api/quickbooks/invoices/77/pdf?organizationId=1&expires=9&signature=SIGSECRET"
        callback = "/api/quickbooks/callback?code=CODESECRET&state=STATESECRET&realmId=1"
        for target in (link, callback):
            httpx.get(served.url + target, timeout=10)
        deadline = time.monotonic() + 10
        while not [line for line in served.lines() if "/api/quickbooks/callback" in line]:
            assert time.monotonic() < deadline, "the requests were never logged"
            time.sleep(0.1)
        time.sleep(0.3)  # a second (duplicate) line would have been written by now
        lines = served.lines()
        assert not [line for line in lines if "SECRET" in line]
        assert len([line for line in lines if "/api/quickbooks/invoices/77/pdf" in line]) == 1
        assert len([line for line in lines if "/api/quickbooks/callback" in line]) == 1

    def test_console_lines_carry_no_colour_codes(self, served: Served) -> None:
        assert served.lines()
        assert not [line for line in served.lines() if "\x1b" in line]

    def test_it_listens_on_loopback_as_the_readme_says(self, served: Served) -> None:
        started = [line for line in served.lines() if "Uvicorn running on" in line]
        assert started
        assert f"http://127.0.0.1:{served.port}" in started[0]


class TestSlowClients:
    def test_headers_trickled_a_byte_at_a_time_are_cut_off(self, served: Served) -> None:
        sockets = [served.connect() for _ in range(20)]
        started = time.monotonic()
        request = b"GET /health/live HTTP/1.1\r\nHost: x\r\n"
        closed: set[int] = set()
        for n in range(len(request)):
            for k, sock in enumerate(sockets):
                if k in closed:
                    continue
                try:
                    sock.send(request[n : n + 1])
                except OSError:
                    closed.add(k)
            if len(closed) == len(sockets) or time.monotonic() - started > 10:
                break
            time.sleep(0.25)
        answers = [_read_until_closed(sock, 5) for sock in sockets]
        for sock in sockets:
            sock.close()
        assert all(b"<still open>" not in answer for answer in answers)
        assert all(answer.startswith(b"HTTP/1.1 408") or answer == b"" for answer in answers)
        # Everyone else is served meanwhile and afterwards.
        assert httpx.get(f"{served.url}/health/live", timeout=5).status_code == 200

    def test_a_silent_connection_is_closed(self, served: Served) -> None:
        with served.connect() as sock:
            assert b"<still open>" not in _read_until_closed(sock, HEADER_TIMEOUT_S + 4)

    def test_a_body_trickled_slowly_is_cut_off(self, served: Served) -> None:
        with served.connect() as sock:
            sock.sendall(
                b"POST /api/quickbooks/webhook/invoice-created HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nContent-Length: 400\r\n\r\n{"
            )
            started = time.monotonic()
            try:
                while time.monotonic() - started < BODY_TIMEOUT_S + 4:
                    sock.send(b" ")
                    time.sleep(0.3)
            except OSError:
                pass  # the server closed the connection: what we want
            answer = _read_until_closed(sock, 2)
        assert b"<still open>" not in answer
        assert time.monotonic() - started < BODY_TIMEOUT_S + 4

    def test_oversized_headers_are_refused(self, served: Served) -> None:
        with served.connect() as sock:
            sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n")
            for n in range(200):
                sock.sendall(f"X-Filler-{n}: {'y' * 1000}\r\n".encode())
                if select.select([sock], [], [], 0.01)[0]:
                    break  # the server answered: stop sending, read its answer
            answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 431")

    def test_beyond_the_connection_limit_requests_are_answered_503(self, served: Served) -> None:
        statuses = []
        for _ in range(5):
            opened = time.monotonic()
            idle = [served.connect() for _ in range(LIMIT)]
            try:
                answer = httpx.get(f"{served.url}/health/live", timeout=5)
            finally:
                for sock in idle:
                    sock.close()
            # Only meaningful while none of the idle connections hit its header deadline.
            if time.monotonic() - opened < HEADER_TIMEOUT_S * 0.8:
                statuses.append(answer.status_code)
                break
        assert statuses == [503]
        time.sleep(0.3)
        assert httpx.get(f"{served.url}/health/live", timeout=5).status_code == 200
