"""``fuzz``: the HTTP API fuzzed from its own OpenAPI schema with schemathesis, against a live
``qbsync serve`` on loopback, once with a tenant's token (a connected organization) and once
with an operator's. Counted: responses by status class, 5xx, hangs (requests that hit the
per-request timeout), and whether the server still answers afterwards. First, the cases a
schema cannot express, on raw sockets (``bench/hostile_http.py``): request smuggling,
oversized bodies, deep nesting, slow clients.

Bounded: ``max_examples`` per operation, ``max_time_s`` per pass, ``request_timeout_s``.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

from bench import hostile_http, workload
from bench.procs import BIN
from bench.results import Result, Target
from bench.stack import Stack

NAME = "fuzz"


class Options(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BENCH_FUZZ_")

    max_examples: int = 20
    max_time_s: int = 75  # per pass
    request_timeout_s: float = 10.0
    seed: int = 1


class Pass(BaseModel):
    principal: str
    exit_code: int | None
    requests: int
    by_status: dict[str, int]
    server_errors_5xx: int
    hangs: int  # requests without an answer within the timeout
    network_errors: int  # other errors schemathesis reported (connection refused, …)
    failing_operations: list[str]  # "<METHOD> <path>: <status>" of 5xx answers
    seconds: float


def _read_ndjson(path: Path, timeout_s: float) -> tuple[Counter[str], list[str], int, int]:
    """Status counts, 5xx operations, hangs and network errors from the events file
    schemathesis writes (one JSON object per line; every request it made is an
    interaction in a ``ScenarioFinished`` recorder)."""
    statuses: Counter[str] = Counter()
    failing: list[str] = []
    hangs = errors = 0
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return statuses, failing, 0, 0
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        kind = next(iter(event), "")
        if "Error" in kind:
            # A request that never got an answer in time surfaces as an error event.
            text = line.lower()
            if "timeout" in text or "timed out" in text:
                hangs += 1
            else:
                errors += 1
            continue
        if kind != "ScenarioFinished":
            continue
        interactions = event[kind].get("recorder", {}).get("interactions") or {}
        for interaction in interactions.values():
            request = interaction.get("request") or {}
            response = interaction.get("response")
            if response is None:
                hangs += 1
                continue
            status = int(response["status_code"])
            statuses[str(status)] += 1
            if float(response.get("elapsed") or 0) >= timeout_s:
                hangs += 1
            if status >= 500 and len(failing) < 30:
                target = urlsplit(str(request.get("uri", "")))
                failing.append(f"{request.get('method')} {target.path}?{target.query}: {status}")
    return statuses, failing, hangs, errors


_FRAME = re.compile(r'File "[^"]*/src/(qbsync/[^"]+)", line (\d+), in (\w+)')


def error_causes(log_path: Path) -> dict[str, int]:
    """qbsync's own account of its 500s: "<exception>  @ <innermost qbsync frames>" from the
    "unhandled error" lines of its JSON log, counted."""
    causes: Counter[str] = Counter()
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return {}
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("msg") != "unhandled error":
            continue
        trace = str(entry.get("exc", ""))
        finals = [
            text
            for text in trace.splitlines()
            if text and not text.startswith((" ", "Traceback", "The above", "During"))
        ]
        frames = _FRAME.findall(trace)[-2:]
        where = " > ".join(f"{path}:{number} {function}" for path, number, function in frames)
        causes[f"{(finals[0] if finals else '?')[:160]} @ {where}"] += 1
    return dict(causes.most_common())


async def _fuzz(
    api: str, principal: str, headers: dict[str, str], opts: Options, out: Path
) -> Pass:
    ndjson = out / f"fuzz-{principal}.ndjson"
    args = [
        str(BIN / "schemathesis"),
        "run",
        f"{api}/openapi.json",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        str(opts.max_examples),
        "--max-time",
        str(opts.max_time_s),
        "--request-timeout",
        str(opts.request_timeout_s),
        "--seed",
        str(opts.seed),
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "1",
        "--no-shrink",
        "--suppress-health-check",
        "all",
        "--continue-on-failure",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(ndjson),
    ]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *args,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=out,
        env={"PATH": str(BIN), "SCHEMATHESIS_TELEMETRY": "false", "HOME": str(out)},
    )
    try:
        code = await asyncio.wait_for(process.wait(), timeout=opts.max_time_s * 3 + 60)
    except TimeoutError:
        process.kill()
        await process.wait()
        code = None
    statuses, failing, hangs, errors = _read_ndjson(ndjson, opts.request_timeout_s)
    return Pass(
        principal=principal,
        exit_code=code,
        requests=sum(statuses.values()),
        by_status=dict(sorted(statuses.items())),
        server_errors_5xx=sum(n for s, n in statuses.items() if s.startswith("5")),
        hangs=hangs,
        network_errors=errors,
        failing_operations=sorted(set(failing)),
        seconds=round(time.monotonic() - started, 1),
    )


async def run() -> Result:
    opts = Options()
    async with Stack(NAME) as stack:
        env = stack.env()
        serve, api = await stack.start_serve(env)
        [org] = await stack.connect_orgs(1)
        data = workload.build(org, customers=3, invoices=3)
        await workload.seed(stack.stubs, [data])
        org_id = org.organization_id
        tenant = {
            "Authorization": f"Bearer {stack.token(org_id)}",
            "X-Organization-Id": str(org_id),
        }
        operator = {"Authorization": f"Bearer {stack.token(None, operator=True)}"}
        # Raw HTTP first, so the memory it measures is not the fuzzer's high-water mark.
        raw = await hostile_http.run_cases(
            int(api.rsplit(":", 1)[1]), serve, stack.token(org_id), hostile_http.Options()
        )
        passes = [
            await _fuzz(api, "tenant", tenant, opts, stack.log_dir_ready()),
            await _fuzz(api, "operator", operator, opts, stack.log_dir_ready()),
        ]
        health = await stack.http.get(f"{api}/api/health", timeout=10)
        alive = serve.alive and health.status_code == 200
        errors = serve.log_errors()
        causes = error_causes(serve.log_path)

    through = [c for c in raw if c.got_through]
    five = sum(p.server_errors_5xx for p in passes)
    hangs = sum(p.hangs for p in passes)
    requests = sum(p.requests for p in passes)
    return Result(
        name=NAME,
        headline=(
            f"{requests} requests from the OpenAPI schema (tenant + operator): {five} x 5xx, "
            f"{hangs} hangs, server {'alive' if alive else 'DOWN'} afterwards; raw HTTP "
            f"(smuggling, oversize, nesting, slow clients): {len(through)} of {len(raw)} got through"
        ),
        config=opts.model_dump(),
        targets=[
            Target(metric="server_errors_5xx", value=five, target="0", met=five == 0),
            Target(metric="hangs", value=hangs, target="0", met=hangs == 0),
            Target(metric="server_alive_after", value=int(alive), target="1", met=alive),
            Target(
                metric="requests", value=requests, target="> 0 (the fuzzer ran)", met=requests > 0
            ),
            Target(
                metric="raw_http_got_through",
                value=len(through),
                target="0",
                met=not through,
                why="; ".join(f"{c.name}: {c.observed}" for c in through)[:600] or None,
            ),
        ],
        data={
            "passes": [p.model_dump() for p in passes],
            "serve_error_log_lines": errors,
            "server_error_causes": causes,
            "raw_http": hostile_http.summary(raw),
        },
    )
