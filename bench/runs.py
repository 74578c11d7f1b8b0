"""One measured run of events through running qbsync processes, shared by the benchmarks:
seed, publish, wait (bounded) until every event is accounted for, then measure."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from bench import workload
from bench.amqp import Published
from bench.observe import (
    Outcome,
    RealmRequests,
    classify,
    create_request_times,
    mapping_times,
    percentiles,
    record_create_times,
    request_stats,
    wait_settled,
)
from bench.procs import ProcStats, QbsyncProcess
from bench.stack import Stack
from bench.verdict import EntityCheck, check_emulator
from bench.workload import OrgData


class ProcessUse(BaseModel):
    name: str
    cpu_s: float  # CPU seconds spent during the measured window
    peak_rss_mb: float  # VmHWM at the end (the process's lifetime peak)


class Measured(BaseModel):
    events: int
    settled: bool
    classes: dict[str, int]  # synced / skipped / parked / pending / missing
    seconds: float  # first publish -> last final sync-log row
    events_per_s: float
    realms: list[RealmRequests]
    admitted_requests: int
    requests_per_event: float
    throttled_429: int
    latency_ms_upper: dict[str, float | int | None]  # publish -> sync-log SUCCESS row
    latency_ms_lower: dict[str, float | int | None]  # publish -> QBO received the create
    latency_lower_matched: int  # records timed by their create request (the rest: CreateTime)
    processes: list[ProcessUse]
    emulator_cpu_s: float | None
    cpu_s_per_1000_events: float
    peak_rss_mb: float
    records: dict[str, EntityCheck]


@dataclass
class Run:
    """Seeded data for ``orgs`` and the workers that will consume it."""

    stack: Stack
    data: list[OrgData]
    workers: list[QbsyncProcess]
    tag: str
    published: list[Published] = field(default_factory=list)
    cpu_before: dict[str, float] = field(default_factory=dict)
    emulator_before: float | None = None


async def prepare(
    stack: Stack,
    workers: list[QbsyncProcess],
    *,
    orgs: int,
    customers: int,
    invoices: int,
    tag: str = "ev",
) -> Run:
    connected = await stack.connect_orgs(orgs)
    data = [workload.build(org, customers=customers, invoices=invoices) for org in connected]
    await workload.seed(stack.stubs, data)
    return Run(stack, data, workers, tag)


def cpu_of(process: QbsyncProcess | None) -> float | None:
    stats: ProcStats | None = process.stats() if process is not None else None
    return stats.cpu_s if stats is not None else None


def mark_start(run: Run) -> None:
    """Read the CPU counters: the measured window starts now."""
    for worker in run.workers:
        run.cpu_before[worker.name] = cpu_of(worker) or 0.0
    run.emulator_before = cpu_of(run.stack.emulator_process)


async def publish(run: Run, *, per_second: float | None = None) -> None:
    """CPU counters are read right before the first event goes out."""
    mark_start(run)
    batch = workload.events(f"{run.stack.tag}-{run.tag}", run.data)
    run.published += await workload.publish_all(run.stack, batch, per_second=per_second)


async def measure(run: Run, *, timeout_s: float) -> Measured:
    stack = run.stack
    found, _, settled = await wait_settled(stack, run.published, timeout_s=timeout_s)
    end_cpu = {w.name: cpu_of(w) for w in run.workers}
    emulator_end = cpu_of(stack.emulator_process)
    return await summarize(run, found, settled, end_cpu, emulator_end)


async def summarize(
    run: Run,
    found: dict[str, Outcome],
    settled: bool,
    end_cpu: dict[str, float | None],
    emulator_end: float | None,
) -> Measured:
    stack = run.stack
    published = run.published
    classes: dict[str, int] = {}
    for p in published:
        kind = classify(found.get(p.correlation_id))
        classes[kind] = classes.get(kind, 0) + 1
    first = min(p.at for p in published)
    finals = [o.at.timestamp() for o in found.values()]
    seconds = (max(finals) - first) if finals else 0.0
    synced = classes.get("synced", 0)

    realms: list[RealmRequests] = []
    lower: list[float] = []
    matched = 0
    upper: list[float] = []
    at_by_aforo = {p.aforo_id: p.at for p in published if p.aforo_id}
    mapped = await mapping_times(stack)
    for org_data in run.data:
        log = await stack.emulator.requests(org_data.org.realm_id)
        realms.append(request_stats(org_data.org.realm_id, log))
        arrivals = create_request_times(org_data.org.realm_id, org_data, log)
        matched += len(arrivals)
        first_seen = await record_create_times(stack, org_data) | arrivals
        for aforo_id, at in first_seen.items():
            if aforo_id in at_by_aforo:
                lower.append((at.timestamp() - at_by_aforo[aforo_id]) * 1000)
    for aforo_id, at in mapped.items():
        if aforo_id in at_by_aforo:
            upper.append((at.timestamp() - at_by_aforo[aforo_id]) * 1000)

    processes = []
    for worker in run.workers:
        before = run.cpu_before.get(worker.name, 0.0)
        after = end_cpu.get(worker.name) or (worker.last_stats.cpu_s if worker.last_stats else 0)
        peak = worker.last_stats.peak_rss_mb if worker.last_stats else 0.0
        processes.append(
            ProcessUse(name=worker.name, cpu_s=round(after - before, 2), peak_rss_mb=peak)
        )
    cpu_total = sum(p.cpu_s for p in processes)
    admitted = sum(r.admitted for r in realms)
    emulator_cpu = None
    if emulator_end is not None and run.emulator_before is not None:
        emulator_cpu = round(emulator_end - run.emulator_before, 2)
    return Measured(
        events=len(published),
        settled=settled,
        classes=classes,
        seconds=round(seconds, 2),
        events_per_s=round(synced / seconds, 3) if seconds > 0 else 0.0,
        realms=realms,
        admitted_requests=admitted,
        requests_per_event=round(admitted / len(published), 2) if published else 0.0,
        throttled_429=sum(r.throttled_429 for r in realms),
        latency_ms_upper=percentiles(upper),
        latency_ms_lower=percentiles(lower),
        latency_lower_matched=matched,
        processes=processes,
        emulator_cpu_s=emulator_cpu,
        cpu_s_per_1000_events=round(cpu_total / len(published) * 1000, 2) if published else 0.0,
        peak_rss_mb=max((p.peak_rss_mb for p in processes), default=0.0),
        records=await check_emulator(stack, run.data),
    )
