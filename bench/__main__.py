"""``python -m bench [name…]``: run every benchmark and campaign, or the named ones, one after
the other; write bench/results/<name>.json for each and bench/results/SUMMARY.md."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import shutil
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import cast

from bench import procs
from bench.results import RESULTS_DIR, LoadMark, Result, note_load, write, write_summary

# name -> module; the order is the order of a full run (cheap and basic first).
BENCHMARKS: dict[str, str] = {
    "client": "bench.client",
    "throughput": "bench.throughput",
    "overhead": "bench.overhead",
    "backfill": "bench.backfill",
    "realms": "bench.realms",
    "burst": "bench.burst",
    "scaleout": "bench.scaleout",
    "fairness": "bench.fairness",
    "manual": "bench.manual",
    "kill": "bench.faults_kill",
    "outage": "bench.faults_outage",
    "qbo_faults": "bench.faults_qbo",
    "hostile": "bench.faults_hostile",
    "fuzz": "bench.fuzz",
    "money_month": "bench.money_month",
    "drift_month": "bench.drift_month",
    "intuit_webhooks": "bench.intuit_webhooks",
    "console": "bench.console_paint",
}
GROUPS = {
    "faults": ["kill", "outage", "qbo_faults", "hostile"],
    "perf": ["client", "throughput", "overhead", "backfill", "realms", "burst", "scaleout"],
    # The scheduler of QuickBooks work (issue #14): fairness, scale-out, a person waiting.
    "sched": ["fairness", "scaleout", "manual"],
}
# No single benchmark may run longer than this (BENCH_MAX_S overrides): a hang must not
# hold the machine; the stack's clean-up still runs when the time is up.
MAX_S = float(os.environ.get("BENCH_MAX_S", "900"))


def _selected(names: list[str]) -> list[str]:
    chosen: list[str] = []
    for name in names or list(BENCHMARKS):
        for item in GROUPS.get(name, [name]):
            if item not in BENCHMARKS:
                raise SystemExit(
                    f"bench: unknown benchmark {item!r}; known: {', '.join(BENCHMARKS)}"
                )
            if item not in chosen:
                chosen.append(item)
    return chosen


async def _run_one(name: str) -> Result:
    module = importlib.import_module(BENCHMARKS[name])
    run = cast(Callable[[], Awaitable[Result]], module.run)
    started = time.monotonic()
    load = LoadMark()
    try:
        result = await asyncio.wait_for(run(), timeout=MAX_S)
    except Exception as exc:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        traceback.print_exc()
        result = Result(name=name, status="error", error=detail or type(exc).__name__)
    result.duration_s = round(time.monotonic() - started, 1)
    note_load(result, load)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names",
        nargs="*",
        help=f"benchmarks ({', '.join(BENCHMARKS)}) or groups ({', '.join(GROUPS)}); none = all",
    )
    args = parser.parse_args(argv)
    chosen = _selected(args.names)
    failed = 0
    try:
        for name in chosen:
            print(f"bench: {name} …", flush=True)
            # Keep only the latest run's logs of each benchmark (fuzz reports are large).
            for old in (RESULTS_DIR / "logs").glob(f"{name}-*"):
                shutil.rmtree(old, ignore_errors=True)
            result = asyncio.run(_run_one(name))
            path = write(result)
            failed += result.status != "ok"
            print(f"bench: {name} [{result.duration_s} s] {result.headline or result.error}")
            print(f"bench:   → {path}", flush=True)
    finally:
        procs.kill_all()
        summary = write_summary(list(BENCHMARKS))
        print(f"bench: summary → {summary}")
    # Measurements, not tests: a missed target is a number in the report, not a failure.
    # Only a run that could not measure at all exits non-zero.
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
