"""``overhead``: the throughput run with zero emulator latency and no limits anywhere, so
that what remains is qbsync's own cost per event (CPU, memory, wall time), next to the
baseline loop's raw speed against the same emulator process.

On a 2-core machine the emulator, Postgres, RabbitMQ and qbsync share the CPUs: events/s
here is a floor for qbsync on a machine of its own; CPU seconds per event are qbsync's alone.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from bench import runs
from bench.baseline import BaselineRun, run_baseline
from bench.results import Result, Target
from bench.stack import Stack
from bench.throughput import integrity_targets

NAME = "overhead"
UNLIMITED = 1_000_000


class Options(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BENCH_OVERHEAD_")

    orgs: int = 6
    customers: int = 50
    invoices: int = 100
    workers: int = 1
    baseline: bool = True
    timeout_s: float = 600


# Issue #15's targets for this run.
CPU_MS_PER_EVENT = 3.0
REQUESTS_PER_EVENT = 1.05


def cost_targets(measured: runs.Measured, base: BaselineRun | None) -> list[Target]:
    cpu = measured.cpu_s_per_1000_events
    speed = f" The naive loop ran {base.records_per_s} rec/s beside it." if base else ""
    return [
        Target(
            metric="cpu_ms_per_event",
            value=cpu,
            target=f"≤ {CPU_MS_PER_EVENT}",
            met=cpu <= CPU_MS_PER_EVENT,
            why=None
            if cpu <= CPU_MS_PER_EVENT
            else (
                "qbsync's own CPU per event is above it: the driver's statements (5.6 an "
                "event), the Aforo GET's httpx layer, AMQP, the loop (docs/quickbooks-cost.md, "
                f"'CPU per event').{speed}"
            ),
        ),
        Target(
            metric="qbo_requests_per_event",
            value=measured.requests_per_event,
            target=f"≤ {REQUESTS_PER_EVENT}",
            met=measured.requests_per_event <= REQUESTS_PER_EVENT,
        ),
    ]


async def run() -> Result:
    opts = Options()
    async with Stack(NAME) as stack:
        await stack.emulator.configure(
            latency_ms=(0, 0), max_in_flight=UNLIMITED, requests_per_minute=UNLIMITED
        )
        env = stack.env(per_minute=UNLIMITED, in_flight=UNLIMITED, per_second=UNLIMITED)
        workers = await stack.start_workers(opts.workers, env)
        events = await runs.prepare(
            stack, workers, orgs=opts.orgs, customers=opts.customers, invoices=opts.invoices
        )
        await runs.publish(events)
        measured = await runs.measure(events, timeout_s=opts.timeout_s)
        base = await run_baseline(stack, events.data) if opts.baseline else None

    cpu_ms_per_event = measured.cpu_s_per_1000_events  # CPU s per 1000 events = CPU ms per event
    headline = (
        f"{measured.events} events: {measured.events_per_s} events/s, "
        f"{cpu_ms_per_event} CPU ms/event, {measured.requests_per_event} QBO req/event, "
        f"peak RSS {measured.peak_rss_mb} MB"
    )
    if base is not None:
        headline += (
            f"; baseline loop {base.records_per_s} rec/s ({base.requests} requests, 1 per record)"
        )
    return Result(
        name=NAME,
        headline=headline,
        config=opts.model_dump() | {"limits": "none (1,000,000/min, 1,000,000 in flight)"},
        targets=[*integrity_targets(measured), *cost_targets(measured, base)],
        data={
            "run": measured.model_dump(),
            "cpu_ms_per_event": cpu_ms_per_event,
            "baseline": base.model_dump() if base else None,
            "qbsync_over_baseline": (
                round(measured.events_per_s / base.records_per_s, 3)
                if base and base.records_per_s
                else None
            ),
        },
    )
