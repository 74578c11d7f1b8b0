"""``scaleout``: do more ``qbsync worker`` processes add throughput, and do the per-realm
limits hold across all of them? Two parts, each against its own fresh stack:

1. **Scaling** (1, 2, 3 instances over 24 realms each): each instance may run ``concurrency``
   syncs at once (``QBSYNC_SCHEDULER__CONCURRENCY``, and ``QBSYNC_AMQP__CONCURRENCY`` for a
   consumer that syncs itself) and every QBO request takes 0.8-1.2 s, so one instance is
   bound by its own concurrency (≈ concurrency / (requests per event x 1 s) events/s), not
   by CPU and not by the realms: N instances should do N times the work, with the realms
   at well under their limits (``max_realm_ratio`` shows how far) and the CPUs mostly
   idle (``cpu_busy_share``). Work grows with N by adding realms of the same shape (24 x N
   realms of ``customers`` + ``invoices``), so that every run lasts about as long and an
   event costs the same in each. Target: steady events/s ≥ 0.9 x N x one instance's,
   0 x 429, 0 duplicates. See bench/README.md for why the setup is I/O-bound.
2. **Limits bind** (3 instances over 4 realms with a backlog each, 150-300 ms): together
   the instances could send 3 x a realm's limit; the realm must stay at its limit (≥ 0.95)
   with 0 x 429 and 0 duplicates.
"""

from __future__ import annotations

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

from bench import runs
from bench.results import LoadMark, Result, Target, busy_share
from bench.stack import Stack
from bench.throughput import integrity_targets

NAME = "scaleout"
MIN_SCALING = 0.9  # N instances' rate over N x one instance's
MIN_REALM_RATIO = 0.95
# Above the limit: the (n - 1) / span estimator allows a little over 1 in short runs.
MAX_REALM_RATIO = 1.05


class Options(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BENCH_SCALEOUT_")

    instances: str = "1,2,3"
    realms: int = 24  # per instance
    customers: int = 1  # per realm
    invoices: int = 4  # per realm
    concurrency: int = 4  # syncs one instance runs at once
    per_minute: int = 120
    in_flight: int = 10
    latency_low_ms: int = 800
    latency_high_ms: int = 1200
    bound: bool = True
    bound_instances: int = 3
    bound_realms: int = 4
    bound_customers: int = 25
    bound_invoices: int = 50
    bound_latency_low_ms: int = 150
    bound_latency_high_ms: int = 300
    # Plenty for 4 realms at 2 requests/s each, and 3 x 8 database connections at most
    # on a Postgres server that may be shared.
    bound_concurrency: int = 8
    timeout_s: float = 600

    def counts(self) -> list[int]:
        return [int(n) for n in self.instances.split(",") if n.strip()]


class Point(BaseModel):
    """One run: ``instances`` workers over ``realms`` realms."""

    instances: int
    realms: int
    events: int
    seconds: float
    events_per_s: float
    steady_events_per_s: float
    scaling: float | None  # steady events/s over instances x one instance's
    max_realm_ratio: float  # the busiest realm's requests/s over its limit
    min_realm_ratio: float
    throttled_429: int
    duplicates: int
    lost: int
    requests_per_event: float
    cpu_s: dict[str, float]
    cpu_s_per_1000_events: float
    cpu_busy_share: float | None  # all CPUs of the machine, busy with anything


async def _measure(
    *,
    instances: int,
    realms: int,
    customers: int,
    invoices: int,
    latency_ms: tuple[int, int],
    opts: Options,
    concurrency: int,
) -> tuple[Point, runs.Measured]:
    async with Stack(NAME) as stack:
        env = await stack.limits(
            per_minute=opts.per_minute,
            in_flight=opts.in_flight,
            latency_ms=latency_ms,
            extra={
                "QBSYNC_AMQP__CONCURRENCY": str(concurrency),
                "QBSYNC_SCHEDULER__CONCURRENCY": str(concurrency),
            },
        )
        workers = await stack.start_workers(instances, env)
        events = await runs.prepare(
            stack, workers, orgs=realms, customers=customers, invoices=invoices
        )
        load = LoadMark()
        await runs.publish(events)
        measured = await runs.measure(events, timeout_s=opts.timeout_s)
        busy = busy_share(load)
    limit = opts.per_minute / 60
    ratios = [r.admitted_per_s / limit for r in measured.realms]
    integrity = {t.metric: int(t.value or 0) for t in integrity_targets(measured)}
    point = Point(
        instances=instances,
        realms=realms,
        events=measured.events,
        seconds=measured.seconds,
        events_per_s=measured.events_per_s,
        steady_events_per_s=measured.steady_events_per_s,
        scaling=None,
        max_realm_ratio=round(max(ratios, default=0.0), 3),
        min_realm_ratio=round(min(ratios, default=0.0), 3),
        throttled_429=measured.throttled_429,
        duplicates=integrity["duplicates"],
        lost=integrity["lost_events"],
        requests_per_event=measured.requests_per_event,
        cpu_s={p.name: p.cpu_s for p in measured.processes},
        cpu_s_per_1000_events=measured.cpu_s_per_1000_events,
        cpu_busy_share=busy,
    )
    return point, measured


def _scaling_targets(points: list[Point]) -> list[Target]:
    targets: list[Target] = []
    for point in points:
        if point.instances == 1 or point.scaling is None:
            continue
        met = point.scaling >= MIN_SCALING
        why = None
        if not met:
            why = (
                f"{point.instances} instances did {point.steady_events_per_s} events/s, "
                f"{point.scaling} of {point.instances} x one instance's, with the busiest "
                f"realm at {point.max_realm_ratio} of its limit and the machine's CPUs "
                f"{point.cpu_busy_share} busy"
            )
            if point.cpu_busy_share is not None and point.cpu_busy_share > 0.85:
                why += ": the machine's CPUs were saturated (other work or qbsync's own)"
            elif point.max_realm_ratio > 0.9:
                why += ": the realms' limits bound"
        targets.append(
            Target(
                metric=f"scaling_{point.instances}",
                value=point.scaling,
                target=f"≥ {MIN_SCALING} ({point.instances} instances' steady events/s over "
                f"{point.instances} x one instance's)",
                met=met,
                why=why,
            )
        )
    return targets


def _bound_targets(point: Point) -> list[Target]:
    met = point.min_realm_ratio >= MIN_REALM_RATIO
    over = point.max_realm_ratio <= MAX_REALM_RATIO
    return [
        Target(
            metric="bound_max_realm_ratio",
            value=point.max_realm_ratio,
            target=f"≤ {MAX_REALM_RATIO} of the limit: the instances together stay under it",
            met=over,
            why=None
            if over
            else (
                "the instances together sent a realm more than its limit (the emulator "
                "admits a first minute's burst, QBO answers 429 to the rest); each process "
                "paces a realm at the whole limit on its own"
            ),
        ),
        Target(
            metric="bound_min_realm_ratio",
            value=point.min_realm_ratio,
            target=f"≥ {MIN_REALM_RATIO} of the limit with {point.instances} instances",
            met=met,
            why=None if met else "a realm with a backlog ran below its limit",
        ),
        Target(
            metric="bound_throttled_429",
            value=point.throttled_429,
            target=f"0 ({point.instances} instances share each realm's limits)",
            met=point.throttled_429 == 0,
            why=None
            if point.throttled_429 == 0
            else (
                f"{point.instances} processes drew {point.throttled_429} x 429 from realms "
                "they were told to keep under the limit: their requests to one realm "
                "together went over it, i.e. the per-realm limits were not shared across "
                "the processes (one leaseholder per realm, or a shared budget, fixes it)"
            ),
        ),
    ]


async def run() -> Result:
    opts = Options()
    points: list[Point] = []
    runs_data: list[dict[str, object]] = []
    for instances in opts.counts():
        point, measured = await _measure(
            instances=instances,
            realms=opts.realms * instances,
            customers=opts.customers,
            invoices=opts.invoices,
            latency_ms=(opts.latency_low_ms, opts.latency_high_ms),
            opts=opts,
            concurrency=opts.concurrency,
        )
        points.append(point)
        runs_data.append({"instances": instances, "run": measured.model_dump()})
    one = next((p for p in points if p.instances == 1), None)
    for point in points:
        if one is not None and one.steady_events_per_s > 0:
            point.scaling = round(
                point.steady_events_per_s / (point.instances * one.steady_events_per_s), 3
            )
    bound: Point | None = None
    bound_run: runs.Measured | None = None
    if opts.bound:
        bound, bound_run = await _measure(
            instances=opts.bound_instances,
            realms=opts.bound_realms,
            customers=opts.bound_customers,
            invoices=opts.bound_invoices,
            latency_ms=(opts.bound_latency_low_ms, opts.bound_latency_high_ms),
            opts=opts,
            concurrency=opts.bound_concurrency,
        )

    everything = points + ([bound] if bound else [])
    throttled = sum(p.throttled_429 for p in points)
    duplicates = sum(p.duplicates for p in everything)
    lost = sum(p.lost for p in everything)
    targets = _scaling_targets(points)
    targets += [
        Target.none_of("scaling_throttled_429", throttled, " (every scaling run)"),
        Target.none_of("duplicates", duplicates, " (every run)"),
        Target.none_of("lost_events", lost, " (every run)"),
    ]
    if bound is not None:
        targets += _bound_targets(bound)
    rates = "/".join(str(p.steady_events_per_s) for p in points)
    scaling = "/".join(str(p.scaling) for p in points)
    headline = (
        f"{opts.concurrency} syncs per instance, {opts.realms} realms per instance: "
        f"{'/'.join(str(p.instances) for p in points)} instances → {rates} events/s "
        f"(x N x one: {scaling}; busiest realm ≤ {max(p.max_realm_ratio for p in points)} "
        f"of its limit), {throttled} x 429"
    )
    if bound is not None:
        headline += (
            f"; {bound.instances} instances on {bound.realms} busy realms: realm ratio "
            f"{bound.min_realm_ratio}-{bound.max_realm_ratio}, {bound.throttled_429} x 429"
        )
    headline += f"; duplicates {duplicates}, lost {lost}"
    return Result(
        name=NAME,
        headline=headline,
        config=opts.model_dump() | {"limit_rps_per_realm": opts.per_minute / 60},
        targets=targets,
        data={
            "points": [p.model_dump() for p in points],
            "bound": bound.model_dump() if bound else None,
            "runs": runs_data,
            "bound_run": bound_run.model_dump() if bound_run else None,
        },
    )
