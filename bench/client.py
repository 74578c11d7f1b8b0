"""``client``: one realm, many concurrent creates: how close does qbsync's QBO client (its
per-realm limiter) get to the limit the emulator enforces?

No RabbitMQ, no Postgres: the client alone against an emulator served in a thread of the
bench process. The per-minute limit is scaled down so that the run is short: at 120/min
the client spreads requests at 2 per second, so 50 creates take about 25 s.
"""

from __future__ import annotations

import asyncio
import time

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from bench.results import Result, Target
from qbo_emulator.app import create_emulator_app
from qbo_emulator.config import EmulatorConfig
from qbo_emulator.control import EmulatorControl
from qbo_emulator.server import serve_in_thread
from qbsync.config import QuickBooksSettings
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.limiter import RealmLimiters
from qbsync.quickbooks.schemas import Customer

NAME = "client"


class Options(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BENCH_CLIENT_")

    requests: int = 50
    per_minute: int = 120
    in_flight: int = 10
    latency_ms: int = 60


class IssuedTokens:
    """The bench never needs a refresh: the token lives an hour."""

    def __init__(self, access_token: str) -> None:
        self._access_token = access_token

    async def get_token(self) -> str:
        return self._access_token

    async def refresh(self, rejected_token: str) -> str:
        raise RuntimeError(f"the bench token was rejected ({len(rejected_token)} chars)")


async def run() -> Result:
    opts = Options()
    config = EmulatorConfig(
        max_in_flight=opts.in_flight,
        requests_per_minute=opts.per_minute,
        latency_ms=(opts.latency_ms // 2, opts.latency_ms),
        random_seed=1,
    )
    with serve_in_thread(create_emulator_app(config)) as url:
        async with httpx.AsyncClient(timeout=30.0) as http:
            control = EmulatorControl(url, http)
            realm_id = (await control.create_realm()).realm_id
            issued = await control.issue_tokens(realm_id)
            settings = QuickBooksSettings(
                api_base_url=f"{url}/sandbox",
                max_in_flight=opts.in_flight,
                requests_per_minute=opts.per_minute,
            )
            qbo = QuickBooksClient(
                http,
                realm_id=realm_id,
                tokens=IssuedTokens(issued.access_token),
                settings=settings,
                limiter=RealmLimiters(settings).for_realm(realm_id),
            )
            done: list[float] = []

            async def create(n: int) -> None:
                customer = Customer(display_name=f"Bench customer {n:05d}")
                await qbo.create(customer, request_id=f"bench-{realm_id}-{n}")
                done.append(time.perf_counter())

            started = time.perf_counter()
            await asyncio.gather(*(create(n) for n in range(opts.requests)))
            seconds = time.perf_counter() - started
            log = await control.requests(realm_id)

    per_second = max(1, -(-opts.per_minute // 60))
    done.sort()
    # The first second's requests all go out at t=0; count the rest over the whole span.
    span = done[-1] - done[0] if done else 0.0
    steady_rps = (len(done) - per_second) / span if span > 0 else 0.0
    limit_rps = opts.per_minute / 60
    rps = len(done) / seconds
    throttled = sum(1 for entry in log if entry.status == 429)
    return Result(
        name=NAME,
        headline=(
            f"{len(done)} creates at {rps:.2f} req/s against a {limit_rps:.2f}/s limit "
            f"(steady {steady_rps:.2f}/s = {steady_rps / limit_rps:.0%}), {throttled} x 429"
        ),
        config=opts.model_dump() | {"emulator": "in a thread of the bench process"},
        targets=[
            Target(
                metric="steady_ratio",
                value=round(steady_rps / limit_rps, 3),
                target="≥ 0.95",
                met=steady_rps / limit_rps >= 0.95,
            ),
            Target(metric="throttled_429", value=throttled, target="0", met=throttled == 0),
        ],
        data={
            "requests": len(done),
            "seconds": round(seconds, 3),
            "rps": round(rps, 3),
            "steady_rps": round(steady_rps, 3),
            "limit_rps": round(limit_rps, 3),
            "ratio": round(rps / limit_rps, 3),
            "steady_ratio": round(steady_rps / limit_rps, 3),
            "throttled_429": throttled,
        },
    )
