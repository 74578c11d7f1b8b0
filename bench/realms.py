"""``realms``: a month-end burst over many organizations, each with its own QuickBooks
company, at QuickBooks' real per-realm limits; qbsync as deployed (``qbsync worker``
processes) against the naive sequential loop (``bench/baseline.py``) over the same records in
fresh companies of the same emulator. Issue #15's target: qbsync ≥ 20 x the loop's records
per second on ≥ 50 realms.

The two run one after the other, qbsync first, so that neither takes the other's CPU. The
loop is sequential, so its rate does not depend on how many realms it walks
(``baseline_orgs`` lets a rerun walk fewer of them); qbsync's is bounded by the smallest of
the ceilings reported in ``data.ceilings``, and a miss names the one that binds.
"""

from __future__ import annotations

import os

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

from bench import runs
from bench.baseline import BaselineRun, run_baseline
from bench.results import LoadMark, Result, Target, busy_share
from bench.stack import Stack
from bench.throughput import integrity_targets
from qbsync.config import SchedulerSettings

NAME = "realms"
# QuickBooks' own per-realm limits (Intuit: 500 requests a minute, 10 in flight).
QBO_PER_MINUTE = 500
QBO_IN_FLIGHT = 10


class Options(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BENCH_REALMS_")

    orgs: int = 50
    customers: int = 4  # per organization
    invoices: int = 10  # per organization (round-robin over its customers)
    per_minute: int = QBO_PER_MINUTE
    in_flight: int = QBO_IN_FLIGHT
    latency_low_ms: int = 150
    latency_high_ms: int = 300
    workers: int = 1  # qbsync worker processes (1 or 2 on this machine)
    # None: qbsync's deployed defaults (QBSYNC_SCHEDULER__CONCURRENCY / __MAX_REALMS).
    concurrency: int | None = None
    max_realms: int | None = None
    baseline: bool = True
    # The loop walks the first n organizations' records (None: all of them). Its rate does
    # not depend on n; fewer make a rerun cheaper.
    baseline_orgs: int | None = None
    target_ratio: float = 20.0
    window_s: float = 10.0  # data.timeline's windows
    timeout_s: float = 600


class Ceilings(BaseModel):
    """Events/s qbsync could reach if only one thing bound it (upper bounds, from the run's
    own requests per event and CPU per event)."""

    realms_limit: float  # orgs x per-realm requests/s / requests per event
    concurrency: float  # workers x syncs at once / (requests per event x mean latency)
    cpu_core_per_worker: float  # workers x 1000 / qbsync CPU ms per event
    machine_cpu: float  # cores x 1000 / (qbsync + emulator CPU ms per event)


class Observed(BaseModel):
    """What the run did with what it had: where the time went."""

    worker_cpu_share: list[float]  # each worker's CPU s / run s (1.0 = a core all the time)
    emulator_cpu_share: float | None
    machine_cpu_busy: float | None  # all CPUs, with anything, during the qbsync phase
    requests_per_s: float  # admitted QBO requests / run s
    qbo_in_flight_avg: float  # requests x mean latency / run s (Little's law)
    syncs_allowed: int  # workers x concurrency
    realms_active_avg: float  # the realms' request spans summed / run s
    binding: str


def ceilings(opts: Options, measured: runs.Measured, concurrency: int) -> Ceilings:
    per_event = measured.requests_per_event or 1.0
    mean_latency_s = (opts.latency_low_ms + opts.latency_high_ms) / 2000
    realm_rps = min(opts.per_minute / 60, opts.in_flight / mean_latency_s)
    cpu_ms = measured.cpu_s_per_1000_events
    emulator_ms = (
        (measured.emulator_cpu_s or 0.0) / measured.events * 1000 if measured.events else 0
    )
    values = {
        "realms_limit": opts.orgs * realm_rps / per_event,
        "concurrency": opts.workers * concurrency / (per_event * mean_latency_s),
        "cpu_core_per_worker": opts.workers * 1000 / cpu_ms if cpu_ms else float("inf"),
        "machine_cpu": (os.cpu_count() or 1) * 1000 / (cpu_ms + emulator_ms)
        if cpu_ms + emulator_ms
        else float("inf"),
    }
    return Ceilings(**{k: round(v, 1) for k, v in values.items()})


def observed(
    opts: Options, measured: runs.Measured, concurrency: int, machine_busy: float | None
) -> Observed:
    seconds = measured.seconds or float("inf")
    mean_latency_s = (opts.latency_low_ms + opts.latency_high_ms) / 2000
    shares = [round(p.cpu_s / seconds, 2) for p in measured.processes]
    emulator = (
        round(measured.emulator_cpu_s / seconds, 2) if measured.emulator_cpu_s is not None else None
    )
    in_flight = measured.admitted_requests * mean_latency_s / seconds
    allowed = opts.workers * concurrency
    realm_rps = min(opts.per_minute / 60, opts.in_flight / mean_latency_s)
    rps = measured.admitted_requests / seconds
    # The first of these that holds is what bound the run.
    if max(shares, default=0.0) >= 0.8:
        binding = "qbsync's CPU (a worker busy most of the run)"
    elif rps >= 0.8 * opts.orgs * realm_rps:
        binding = "the realms' limits"
    elif in_flight >= 0.8 * allowed:
        binding = "qbsync's concurrency (every sync slot waiting on QuickBooks)"
    elif machine_busy is not None and machine_busy >= 0.85:
        binding = (
            f"the machine's CPUs, {machine_busy:.0%} busy: qbsync {round(sum(shares), 2)} and the "
            f"emulator {emulator} of {os.cpu_count()} cores, the rest Postgres, RabbitMQ, "
            "the bench and other work on the machine"
        )
    else:
        binding = (
            f"time a sync spends off QuickBooks (Postgres, scheduling): {in_flight:.1f} "
            f"requests in flight on average of {allowed} syncs allowed"
        )
    return Observed(
        worker_cpu_share=shares,
        emulator_cpu_share=emulator,
        machine_cpu_busy=machine_busy,
        requests_per_s=round(rps, 2),
        qbo_in_flight_avg=round(in_flight, 2),
        syncs_allowed=allowed,
        realms_active_avg=round(sum(r.span_s for r in measured.realms) / seconds, 1),
        binding=binding,
    )


class Window(BaseModel):
    start_s: float  # from the first publish
    requests: int  # admitted QBO requests arriving in the window, all realms
    realms: int  # realms with at least one of them


async def timeline(stack: Stack, burst: runs.Run, *, window_s: float) -> list[Window]:
    """Requests and busy realms per window of the run: a ramp, a plateau below the limits,
    gaps while realms change hands show here."""
    first = min(p.at for p in burst.published)
    by_window: dict[int, tuple[int, set[str]]] = {}
    for org_data in burst.data:
        realm = org_data.org.realm_id
        for entry in await stack.emulator.requests(realm):
            if entry.status == 429:
                continue
            index = int((entry.at.timestamp() - first) // window_s)
            count, realms = by_window.get(index, (0, set()))
            by_window[index] = (count + 1, realms | {realm})
    return [
        Window(start_s=index * window_s, requests=count, realms=len(realms))
        for index, (count, realms) in sorted(by_window.items())
    ]


def billable_reads(measured: runs.Measured) -> int:
    """Queries and reads by id (Intuit meters them; creates, updates and batches are free)."""
    return sum(
        count
        for realm in measured.realms
        for operation, count in realm.by_operation.items()
        if operation.startswith("GET ") or operation == "POST query"
    )


def ratio_target(opts: Options, ratio: float | None, limits: Ceilings, seen: Observed) -> Target:
    met = ratio is not None and ratio >= opts.target_ratio
    why = None
    if not met:
        why = (
            f"bound by {seen.binding}. Ceilings in records/s: realms' limits "
            f"{limits.realms_limit}, concurrency {limits.concurrency}, one core per worker "
            f"{limits.cpu_core_per_worker}, this machine's CPUs {limits.machine_cpu}. Seen: "
            f"workers busy {seen.worker_cpu_share} of a core, {seen.qbo_in_flight_avg} QBO "
            f"requests in flight of {seen.syncs_allowed} syncs allowed, "
            f"{seen.realms_active_avg} realms active at once"
        )
    return Target(
        metric="qbsync_over_baseline",
        value=ratio,
        target=f"≥ {opts.target_ratio} x the naive loop's records/s",
        met=met,
        why=why,
    )


async def run() -> Result:
    opts = Options()
    scheduler = SchedulerSettings()
    concurrency = opts.concurrency or scheduler.concurrency
    extra: dict[str, str] = {}
    if opts.concurrency is not None:
        extra["QBSYNC_SCHEDULER__CONCURRENCY"] = str(opts.concurrency)
        extra["QBSYNC_DB__POOL_SIZE"] = str(opts.concurrency)
    if opts.max_realms is not None:
        extra["QBSYNC_SCHEDULER__MAX_REALMS"] = str(opts.max_realms)
    async with Stack(NAME) as stack:
        env = await stack.limits(
            per_minute=opts.per_minute,
            in_flight=opts.in_flight,
            latency_ms=(opts.latency_low_ms, opts.latency_high_ms),
            extra=extra,
        )
        workers = await stack.start_workers(opts.workers, env)
        burst = await runs.prepare(
            stack, workers, orgs=opts.orgs, customers=opts.customers, invoices=opts.invoices
        )
        load = LoadMark()
        await runs.publish(burst)
        measured = await runs.measure(burst, timeout_s=opts.timeout_s)
        machine_busy = busy_share(load)
        windows = await timeline(stack, burst, window_s=opts.window_s)
        # The loop afterwards (not taking qbsync's CPU), in fresh companies.
        base: BaselineRun | None = None
        if opts.baseline:
            base = await run_baseline(stack, burst.data[: opts.baseline_orgs])

    ratio = (
        round(measured.events_per_s / base.records_per_s, 2)
        if base is not None and base.records_per_s
        else None
    )
    limits = ceilings(opts, measured, concurrency)
    seen = observed(opts, measured, concurrency, machine_busy)
    reads = billable_reads(measured)
    reads_per_event = round(reads / measured.events, 3) if measured.events else 0.0
    targets = [ratio_target(opts, ratio, limits, seen), *integrity_targets(measured)]
    emulator_ms = (
        round(measured.emulator_cpu_s / measured.events * 1000, 2)
        if measured.emulator_cpu_s is not None and measured.events
        else None
    )
    headline = (
        f"{measured.events} records over {opts.orgs} realms at {opts.per_minute}/min, "
        f"{opts.workers} worker(s): qbsync {measured.events_per_s} rec/s "
        f"({measured.cpu_s_per_1000_events} CPU ms/record, emulator {emulator_ms} ms, "
        f"{measured.requests_per_event} req/record, {reads_per_event} reads/record; "
        f"bound by {seen.binding})"
    )
    if base is not None:
        headline += (
            f"; naive loop {base.records_per_s} rec/s; ratio {ratio} (target ≥ {opts.target_ratio})"
        )
    return Result(
        name=NAME,
        headline=headline,
        config=opts.model_dump()
        | {
            "concurrency_used": concurrency,
            "emulator_batch_limit": "not modelled (QBO: 40 batch requests a minute per realm)",
        },
        targets=targets,
        data={
            "run": measured.model_dump(),
            "baseline": base.model_dump() if base else None,
            "qbsync_over_baseline": ratio,
            "ceilings": limits.model_dump(),
            "observed": seen.model_dump(),
            "timeline": [w.model_dump() for w in windows],
            "emulator_cpu_ms_per_record": emulator_ms,
            "billable_reads": reads,
            "billable_reads_per_record": reads_per_event,
        },
    )
