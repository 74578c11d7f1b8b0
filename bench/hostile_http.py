"""The raw-HTTP half of ``fuzz``: what a schema fuzzer cannot send, written on sockets to a
live ``qbsync serve`` on loopback. Request smuggling (conflicting framing), oversized
bodies (memory held while they arrive), JSON nested 60,000 deep, and slow clients that
trickle a byte at a time. Each case says what a safe server does; a case "gets through"
when the server does something else. Bounded: every socket read has a timeout, the slow
clients stop after ``slow_hold_s``."""

from __future__ import annotations

import asyncio
import time

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

from bench.procs import QbsyncProcess

WEBHOOK = "/api/quickbooks/webhook/invoice-created"


class Case(BaseModel):
    name: str
    group: str  # smuggling, oversize, nesting, slow
    expected: str
    observed: str
    got_through: bool


class Options(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BENCH_FUZZ_HTTP_")

    oversize_mb: int = 32
    oversize_parallel: int = 4
    nesting_depth: int = 60_000
    slow_clients: int = 400
    slow_byte_every_s: float = 2.0
    slow_hold_s: float = 30.0


async def _exchange(port: int, payload: bytes, *, read_s: float = 5.0) -> bytes:
    """Send ``payload`` on a fresh connection; everything the server answers until it closes
    the connection or goes quiet for ``read_s``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        await writer.drain()
        received = b""
        while True:
            try:
                chunk = await asyncio.wait_for(reader.read(65536), timeout=read_s)
            except TimeoutError:
                break
            if not chunk:
                break
            received += chunk
        return received
    except (ConnectionError, OSError) as exc:
        return f"<{type(exc).__name__}>".encode()
    finally:
        writer.close()


def _statuses(raw: bytes) -> list[int]:
    return [
        int(line.split()[1])
        for line in raw.split(b"\r\n")
        if line.startswith(b"HTTP/1.") and len(line.split()) > 1 and line.split()[1].isdigit()
    ]


_SMUGGLED = b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"
_HEAD = b"POST " + WEBHOOK.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
SMUGGLING = {
    "cl_te": _HEAD
    + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    + _SMUGGLED,
    "te_cl": _HEAD
    + b"Transfer-Encoding: chunked\r\nContent-Length: 60\r\n\r\n0\r\n\r\n"
    + _SMUGGLED,
    "two_content_lengths": _HEAD + b"Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}" + _SMUGGLED,
    "te_obfuscated_space": _HEAD
    + b"Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"
    + _SMUGGLED,
    "te_obfuscated_value": _HEAD
    + b"Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"
    + _SMUGGLED,
    "te_chunked_twice": _HEAD
    + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n"
    + _SMUGGLED,
    "bare_lf": b"POST "
    + WEBHOOK.encode()
    + b" HTTP/1.1\nHost: x\nContent-Length: 5\nTransfer-Encoding: chunked\n\n0\n\n"
    + _SMUGGLED,
    "chunk_size_overflow": _HEAD
    + b"Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF1\r\nx\r\n0\r\n\r\n"
    + _SMUGGLED,
}


async def smuggling(port: int) -> list[Case]:
    """The smuggled GET must never be answered as a second request: a safe server refuses
    the ambiguous framing (400) and closes, or reads the whole as one body."""
    cases = []
    for name, payload in SMUGGLING.items():
        answer = await _exchange(port, payload, read_s=3.0)
        statuses = _statuses(answer)
        smuggled = len(statuses) > 1 or b'"status":"UP"' in answer
        cases.append(
            Case(
                name=name,
                group="smuggling",
                expected="one answer (4xx), the smuggled GET never answered",
                observed=f"statuses {statuses}" if statuses else answer[:60].decode("latin-1"),
                got_through=smuggled,
            )
        )
    return cases


async def _oversize_post(port: int, size: int) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    chunk = b"[" + b"0," * 32767 + b"0"  # 64 KB of a never-ending JSON array
    head = _HEAD + f"Content-Length: {size}\r\n\r\n".encode()
    sent = 0
    try:
        writer.write(head)
        while sent < size:
            writer.write(chunk[: min(len(chunk), size - sent)])
            sent += len(chunk)
            await asyncio.wait_for(writer.drain(), timeout=10)
        answer = await asyncio.wait_for(reader.read(4096), timeout=10)
        statuses = _statuses(answer)
        return str(statuses[0]) if statuses else "no answer"
    except (ConnectionError, OSError, TimeoutError) as exc:
        # Refused mid-body: the server answered early and closed, which is what we want.
        try:
            answer = await asyncio.wait_for(reader.read(4096), timeout=2)
        except (ConnectionError, OSError, TimeoutError):
            answer = b""
        statuses = _statuses(answer)
        return (
            str(statuses[0]) if statuses else f"closed after {sent >> 20} MB ({type(exc).__name__})"
        )
    finally:
        writer.close()


def _peak_rss_mb(process: QbsyncProcess) -> float:
    stats = process.stats()
    return stats.peak_rss_mb if stats is not None else 0.0


async def oversize(port: int, process: QbsyncProcess, opts: Options) -> list[Case]:
    """``oversize_parallel`` webhook posts of ``oversize_mb`` each at once; the process's
    peak resident memory must not grow by the bodies' size."""
    before = _peak_rss_mb(process)
    size = opts.oversize_mb * 1024 * 1024
    outcomes = await asyncio.gather(
        *(_oversize_post(port, size) for _ in range(opts.oversize_parallel))
    )
    peak = _peak_rss_mb(process)
    refused = all(o.startswith(("4", "closed")) for o in outcomes)
    return [
        Case(
            name=f"{opts.oversize_parallel}x{opts.oversize_mb}MB_webhook",
            group="oversize",
            expected="refused (413) without holding the bodies: peak RSS growth < 64 MB",
            observed=f"answers {outcomes}, peak RSS {before:.0f} -> {peak:.0f} MB",
            got_through=not refused or peak - before >= 64,
        )
    ]


async def nesting(port: int, depth: int, token: str) -> list[Case]:
    """JSON nested ``depth`` deep where each route expects an object: a 4xx, never a 500."""
    deep = ("[" * depth + "]" * depth).encode()
    body = b'{"invoiceId": 1, "organizationId": 1, "x": ' + deep + b"}"
    cases = []
    for name, path, auth in (
        ("webhook", WEBHOOK, b""),
        (
            "manual_sync",
            "/api/quickbooks/sync/invoice",
            f"Authorization: Bearer {token}\r\n".encode(),
        ),
    ):
        payload = (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n".encode()
            + auth
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        statuses = _statuses(await _exchange(port, payload, read_s=10.0))
        cases.append(
            Case(
                name=f"{name}_{depth}_deep",
                group="nesting",
                expected="4xx",
                observed=f"statuses {statuses}",
                got_through=not statuses or not 400 <= statuses[0] < 500,
            )
        )
    return cases


async def _held(reader: asyncio.StreamReader) -> bool:
    """Whether the server still holds the connection: one it closed reads EOF (or its 408)
    at once; one it holds has nothing to say."""
    try:
        await asyncio.wait_for(reader.read(256), timeout=0.3)
    except TimeoutError:
        return True
    except (ConnectionError, OSError):
        return False
    return False


async def slow_clients(port: int, opts: Options) -> list[Case]:
    """``slow_clients`` connections each sending one header byte every ``slow_byte_every_s``
    for ``slow_hold_s``; how many the server still holds at the end, and whether a normal
    request is answered meanwhile."""
    request = b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 400 + b"\r\n\r\n"
    connections: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    for _ in range(opts.slow_clients):
        try:
            connections.append(await asyncio.open_connection("127.0.0.1", port))
        except OSError:
            break
    opened = len(connections)
    started = time.monotonic()
    position = 0
    latency: float | None = None
    while time.monotonic() - started < opts.slow_hold_s and position < len(request):
        still = []
        for reader, writer in connections:
            try:
                writer.write(request[position : position + 1])
                await asyncio.wait_for(writer.drain(), timeout=0.5)
                still.append((reader, writer))
            except (ConnectionError, OSError, TimeoutError):
                writer.close()
        connections = still
        position += 1
        if latency is None and time.monotonic() - started > opts.slow_byte_every_s * 2:
            begun = time.monotonic()
            probe = b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            answer = await _exchange(port, probe)
            latency = time.monotonic() - begun if _statuses(answer)[:1] == [200] else -1.0
        await asyncio.sleep(opts.slow_byte_every_s)
    held = sum([await _held(reader) for reader, _ in connections])
    for _, writer in connections:
        writer.close()
    answered = latency is not None and latency > 0
    return [
        Case(
            name=f"{opened}_clients_1_byte_per_{opts.slow_byte_every_s:g}s",
            group="slow",
            expected=f"none held after {opts.slow_hold_s:g} s; normal requests answered",
            observed=(
                f"{held} of {opened} still held after {time.monotonic() - started:.0f} s; "
                f"a normal request meanwhile: "
                + (f"answered in {latency:.2f} s" if answered else "no answer")
            ),
            got_through=held > 0 or not answered,
        )
    ]


async def run_cases(port: int, process: QbsyncProcess, token: str, opts: Options) -> list[Case]:
    cases = await smuggling(port)
    cases += await nesting(port, opts.nesting_depth, token)
    cases += await oversize(port, process, opts)
    cases += await slow_clients(port, opts)
    return cases


def summary(cases: list[Case]) -> dict[str, object]:
    through = [c for c in cases if c.got_through]
    return {
        "cases": len(cases),
        "got_through": len(through),
        "by_group": {
            group: f"{sum(c.got_through for c in cases if c.group == group)} of "
            f"{sum(c.group == group for c in cases)} got through"
            for group in dict.fromkeys(c.group for c in cases)
        },
        "details": [c.model_dump() for c in cases],
    }
