"""``scaleout``: two ``qbsync worker`` processes consuming the same queues (competing
consumers), the throughput workload otherwise unchanged: throughput, 429s and duplicates.

Each process enforces the per-realm limits on its own (architecture §11), so two processes
may together send up to twice the limit to one realm; the emulator then answers 429 and
both back off. ``BENCH_SCALEOUT_SPLIT_BUDGET=1`` gives each process limit / workers instead.
The one-process figure to compare with is the ratio to the limit ``throughput`` reached
(read from ``throughput.json`` when it ran with the same per-realm limit, as a full ``make
bench`` does); ``BENCH_SCALEOUT_WORKERS=1`` measures this workload with one process.
"""

from __future__ import annotations

import json

from pydantic_settings import BaseSettings, SettingsConfigDict

from bench import runs
from bench.results import RESULTS_DIR, Result
from bench.stack import Stack
from bench.throughput import integrity_targets, ratio_targets

NAME = "scaleout"


class Options(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BENCH_SCALEOUT_")

    # More work per realm than ``throughput``: the run must outlast the emulator's sliding
    # minute, or two processes' combined rate fits inside its first-minute allowance.
    orgs: int = 4
    customers: int = 25
    invoices: int = 50
    per_minute: int = 120
    in_flight: int = 10
    latency_low_ms: int = 150
    latency_high_ms: int = 300
    workers: int = 2
    split_budget: bool = False
    timeout_s: float = 600


def _single_process(opts: Options) -> tuple[float | None, float | None]:
    """(overall ratio to the limit, events/s) of the throughput benchmark's one-worker
    saturation phase, when it ran with the same per-realm limit."""
    path = RESULTS_DIR / "throughput.json"
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None, None
    config = result.get("config", {})
    if result.get("status") != "ok" or config.get("workers") != 1:
        return None, None
    if config.get("per_minute") != opts.per_minute:
        return None, None
    saturation = result.get("data", {}).get("saturation", {})
    return saturation.get("overall_ratio"), saturation.get("events_per_s")


async def run() -> Result:
    opts = Options()
    budget = opts.per_minute // opts.workers if opts.split_budget else opts.per_minute
    async with Stack(NAME) as stack:
        await stack.emulator.configure(
            latency_ms=(opts.latency_low_ms, opts.latency_high_ms),
            max_in_flight=opts.in_flight,
            requests_per_minute=opts.per_minute,
        )
        env = stack.env(per_minute=budget, in_flight=opts.in_flight)
        workers = await stack.start_workers(opts.workers, env)
        events = await runs.prepare(
            stack, workers, orgs=opts.orgs, customers=opts.customers, invoices=opts.invoices
        )
        await runs.publish(events)
        measured = await runs.measure(events, timeout_s=opts.timeout_s)

    ratios, targets = ratio_targets(measured, opts.per_minute, opts.orgs)
    targets += integrity_targets(measured)
    single_ratio, single_rate = _single_process(opts)
    share = {p.name: p.cpu_s for p in measured.processes}
    headline = (
        f"{opts.workers} workers, {measured.events} events: {measured.events_per_s} events/s "
        f"({ratios.overall_ratio} of the limit; one worker: {single_ratio}), "
        f"{measured.throttled_429} x 429, "
        f"duplicates {sum(c.duplicates for c in measured.records.values())}, CPU s {share}"
    )
    return Result(
        name=NAME,
        headline=headline,
        config=opts.model_dump() | {"per_process_per_minute": budget},
        targets=targets,
        data={
            "run": measured.model_dump() | ratios.model_dump(),
            "single_process_overall_ratio": single_ratio,
            "single_process_events_per_s": single_rate,
        },
    )
