"""``burst``: a month-end burst in a few realms (customers, then many invoices each),
through ``qbsync worker`` with the scheduler's bursts sent one request per record, and then
in batch requests (docs/scheduling.md, "Bursts"); the same workload in fresh stacks, one
after the other. Reports QuickBooks requests per record, batch requests and their items,
and records per second of each: numbers, not targets (besides no duplicates, nothing lost).
"""

from __future__ import annotations

import json
from collections import Counter

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

from bench import runs
from bench.realms import billable_reads
from bench.results import Result, Target
from bench.stack import Stack
from bench.throughput import integrity_targets

NAME = "burst"
QBO_PER_MINUTE = 500  # QuickBooks' own per-realm limits
QBO_IN_FLIGHT = 10


class Options(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BENCH_BURST_")

    orgs: int = 2
    customers: int = 20  # per organization
    invoices: int = 300  # per organization (round-robin over its customers)
    per_minute: int = QBO_PER_MINUTE
    in_flight: int = QBO_IN_FLIGHT
    latency_low_ms: int = 150
    latency_high_ms: int = 300
    # Syncs at once in the worker (and its pool): a burst's group is at most the free slots.
    concurrency: int = 32
    timeout_s: float = 600
    modes: str = "single,batched"  # either or both, in this order


class Mode(BaseModel):
    mode: str  # "single" (one request per record) or "batched"
    records: int
    seconds: float
    records_per_s: float
    steady_records_per_s: float
    requests_per_record: float
    batch_requests: int
    items_per_batch: float | None  # creates carried per batch request, on average
    batch_sizes: dict[int, int]  # items in a batch request -> how many such requests
    single_writes: int  # creates and updates sent on their own
    writes: dict[str, int]  # every write QuickBooks received, by operation
    billable_reads_per_record: float
    cpu_ms_per_record: float
    duplicates: int
    lost: int


async def _batch_items(stack: Stack, measured: runs.Measured) -> list[int]:
    sizes = []
    for realm in measured.realms:
        for request in await stack.emulator.requests(realm.realm_id):
            if request.method == "POST" and request.path.endswith("/batch") and request.body:
                sizes.append(len(json.loads(request.body)["BatchItemRequest"]))
    return sizes


async def _run_mode(opts: Options, mode: str) -> tuple[Mode, list[Target]]:
    extra = {
        "QBSYNC_SCHEDULER__CONCURRENCY": str(opts.concurrency),
        "QBSYNC_DB__POOL_SIZE": str(opts.concurrency),
        "QBSYNC_SCHEDULER__BATCH_BURSTS": "true" if mode == "batched" else "false",
    }
    async with Stack(f"{NAME}_{mode}") as stack:
        env = await stack.limits(
            per_minute=opts.per_minute,
            in_flight=opts.in_flight,
            latency_ms=(opts.latency_low_ms, opts.latency_high_ms),
            extra=extra,
        )
        workers = await stack.start_workers(1, env)
        burst = await runs.prepare(
            stack, workers, orgs=opts.orgs, customers=opts.customers, invoices=opts.invoices
        )
        await runs.publish(burst)
        measured = await runs.measure(burst, timeout_s=opts.timeout_s)
        sizes = await _batch_items(stack, measured)
    writes = {
        operation: sum(r.by_operation.get(operation, 0) for r in measured.realms)
        for operation in ("POST customer", "POST invoice", "POST item", "POST batch")
    }
    targets = integrity_targets(measured)
    events = measured.events or 1
    return (
        Mode(
            mode=mode,
            records=measured.events,
            seconds=measured.seconds,
            records_per_s=measured.events_per_s,
            steady_records_per_s=measured.steady_events_per_s,
            requests_per_record=measured.requests_per_event,
            batch_requests=len(sizes),
            items_per_batch=round(sum(sizes) / len(sizes), 1) if sizes else None,
            batch_sizes=dict(sorted(Counter(sizes).items())),
            single_writes=sum(n for op, n in writes.items() if op != "POST batch"),
            writes=writes,
            billable_reads_per_record=round(billable_reads(measured) / events, 3),
            cpu_ms_per_record=measured.cpu_s_per_1000_events,
            duplicates=int(targets[0].value or 0),
            lost=int(targets[1].value or 0),
        ),
        [t.model_copy(update={"metric": f"{mode}_{t.metric}"}) for t in targets],
    )


async def run() -> Result:
    opts = Options()
    modes: list[Mode] = []
    targets: list[Target] = []
    for mode in opts.modes.split(","):
        measured, checks = await _run_mode(opts, mode.strip())
        modes.append(measured)
        targets += checks
    by_mode = {m.mode: m for m in modes}
    single, batched = by_mode.get("single"), by_mode.get("batched")
    speedup = (
        round(batched.records_per_s / single.records_per_s, 2)
        if single and batched and single.records_per_s
        else None
    )
    headline = (
        f"{modes[0].records} records in {opts.orgs} realms at {opts.per_minute}/min, "
        f"concurrency {opts.concurrency}"
    )
    if single:
        headline += (
            f"; one request per record: {single.requests_per_record} req/record, "
            f"{single.records_per_s} rec/s"
        )
    if batched:
        headline += (
            f"; batched: {batched.requests_per_record} req/record ({batched.batch_requests} "
            f"batch requests of {batched.items_per_batch} items on average, "
            f"{batched.single_writes} writes alone), {batched.records_per_s} rec/s"
        )
    if speedup is not None:
        headline += f" ({speedup} x)"
    return Result(
        name=NAME,
        headline=headline,
        config=opts.model_dump()
        | {"emulator_batch_limit": "not modelled; qbsync paces 40 batch requests a minute"},
        targets=targets,
        data={"modes": [m.model_dump() for m in modes], "batched_over_single": speedup},
    )
