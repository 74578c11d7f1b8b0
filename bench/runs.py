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

FINAL_CLASSES = ("synced", "skipped", "parked")


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
    # Outcomes between the 10th and the 90th percentile of the run, over that time: the
    # rate once everything runs, without start-up and the last few stragglers.
    steady_events_per_s: float
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
    # Postgres work of the run's database per event (pg_stat_database deltas; see README).
    db_per_event: dict[str, float]


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
    db_before: dict[str, int] = field(default_factory=dict)


async def prepare(
    stack: Stack,
    workers: list[QbsyncProcess],
    *,
    orgs: int,
    customers: int,
    invoices: int,
    tag: str = "ev",
    money: int = 0,
) -> Run:
    """``money``: per organization, how many invoices also get their payment, credit note
    and refund events (the fault campaigns)."""
    connected = await stack.connect_orgs(orgs)
    data = [
        workload.build(org, customers=customers, invoices=invoices, money=money)
        for org in connected
    ]
    await workload.seed(stack.stubs, data)
    return Run(stack, data, workers, tag)


def cpu_of(process: QbsyncProcess | None) -> float | None:
    stats: ProcStats | None = process.stats() if process is not None else None
    return stats.cpu_s if stats is not None else None


async def db_counters(stack: Stack) -> dict[str, int]:
    """The run's database's cumulative counters: transactions (less the bench's own: one
    statement, so one transaction, per connection it opens) and rows written."""
    connection = await stack.db()
    try:
        row = await connection.fetchrow(
            """
            SELECT xact_commit + xact_rollback AS transactions,
                tup_inserted + tup_updated + tup_deleted AS rows_written
            FROM pg_stat_database WHERE datname = current_database()
            """
        )
    finally:
        await connection.close()
    if row is None:
        return {}
    return {
        "transactions": int(row["transactions"] or 0) - stack.db_connections,
        "rows_written": int(row["rows_written"] or 0),
    }


async def mark_start(run: Run) -> None:
    """Read the CPU and database counters: the measured window starts now."""
    for worker in run.workers:
        run.cpu_before[worker.name] = cpu_of(worker) or 0.0
    run.emulator_before = cpu_of(run.stack.emulator_process)
    run.db_before = await db_counters(run.stack)


async def publish(run: Run, *, per_second: float | None = None) -> None:
    """CPU counters are read right before the first event goes out."""
    await mark_start(run)
    batch = workload.events(f"{run.stack.tag}-{run.tag}", run.data)
    run.published += await workload.publish_all(run.stack, batch, per_second=per_second)


async def measure(run: Run, *, timeout_s: float) -> Measured:
    stack = run.stack
    found, _, settled = await wait_settled(stack, run.published, timeout_s=timeout_s)
    end_cpu = {w.name: cpu_of(w) for w in run.workers}
    emulator_end = cpu_of(stack.emulator_process)
    return await summarize(run, found, settled, end_cpu, emulator_end)


def steady_rate(finished_at: list[float]) -> float:
    """Outcomes per second between the 10th and the 90th percentile finishing time."""
    ordered = sorted(finished_at)
    if len(ordered) < 10:
        return 0.0
    low, high = int(0.1 * len(ordered)), int(0.9 * len(ordered))
    span = ordered[high] - ordered[low]
    return round((high - low) / span, 3) if span > 0 else 0.0


def org_seconds(published: list[Published], found: dict[str, Outcome]) -> dict[int, float | None]:
    """Per organization: its first event's publish -> its last event's outcome; None while
    any of its events has no final outcome."""
    by_org: dict[int, list[Published]] = {}
    for p in published:
        if p.organization_id is not None:
            by_org.setdefault(p.organization_id, []).append(p)
    seconds: dict[int, float | None] = {}
    for org, events in by_org.items():
        ends = [found.get(p.correlation_id) for p in events]
        if any(classify(o) not in FINAL_CLASSES for o in ends):
            seconds[org] = None
            continue
        last = max(o.at.timestamp() for o in ends if o is not None)
        seconds[org] = round(last - min(p.at for p in events), 2)
    return seconds


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
    records = await check_emulator(stack, run.data)
    # Read last: a backend reports its counters within seconds of going idle, not at once.
    db_after = await db_counters(stack)
    db_per_event = {
        key: round((db_after[key] - run.db_before[key]) / len(published), 2)
        for key in db_after.keys() & run.db_before.keys()
        if published
    }
    emulator_cpu = None
    if emulator_end is not None and run.emulator_before is not None:
        emulator_cpu = round(emulator_end - run.emulator_before, 2)
    return Measured(
        events=len(published),
        settled=settled,
        classes=classes,
        seconds=round(seconds, 2),
        events_per_s=round(synced / seconds, 3) if seconds > 0 else 0.0,
        steady_events_per_s=steady_rate(finals),
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
        records=records,
        db_per_event=db_per_event,
    )
