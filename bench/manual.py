"""``manual``: a person's "sync now" (``POST /api/quickbooks/sync/invoice``) while the same
organization has a backlog of events, against the same call on an idle service.

One ``qbsync serve`` (the API and the consumers in one process), the real QuickBooks limits
(500/min, 10 in flight; qbsync paces ⌈500/60⌉ = 9/s) and 150-300 ms a request. The
organization's customers are synced first (events), so that each manual sync is one new
invoice of an existing customer. Then, after one uncounted warm-up call, ``samples`` manual
syncs one after the other on the idle service; then ``backlog`` invoice events of the same
organization are published and,
while they are being worked off, ``samples`` more manual syncs of other invoices. Each is
timed from the request to the answer. The run stops once the samples are taken (the backlog
is not waited for); ``backlog_pending`` at each sample shows it was still there.

Target (issue #14): the p50 under backlog is under 2 x the idle p50, and every answer is
the synchronous result (200, status success) the real clients expect.
"""

from __future__ import annotations

import asyncio
import time

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

from bench import runs, workload
from bench.amqp import Published
from bench.observe import classify, outcomes, percentiles, request_stats, wait_settled
from bench.results import Result, Target
from bench.stack import Stack
from qbo_emulator.aforo.schemas import StubInvoice

NAME = "manual"
MAX_SLOWDOWN = 2.0


class Options(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BENCH_MANUAL_")

    customers: int = 20
    backlog: int = 1000
    samples: int = 10
    gap_s: float = 0.5  # between two manual syncs
    warm_up_s: float = 3.0  # after publishing the backlog, before the first sample
    per_minute: int = 500
    in_flight: int = 10
    latency_low_ms: int = 150
    latency_high_ms: int = 300
    request_timeout_s: float = 120
    timeout_s: float = 300


class Sample(BaseModel):
    invoice_id: int
    ms: float
    http_status: int
    status: str | None  # the body's "status": success / error
    backlog_pending: int | None  # backlog events without an outcome when the call started


async def _pending(stack: Stack, backlog: list[Published]) -> int:
    if not backlog:
        return 0
    found = await outcomes(stack, backlog)
    return sum(
        1 for p in backlog if classify(found.get(p.correlation_id)) not in runs.FINAL_CLASSES
    )


async def _samples(
    stack: Stack,
    api: str,
    organization_id: int,
    invoices: list[StubInvoice],
    opts: Options,
    backlog: list[Published],
) -> list[Sample]:
    headers = {
        "Authorization": f"Bearer {stack.token(organization_id)}",
        "X-Organization-Id": str(organization_id),
    }
    taken: list[Sample] = []
    for invoice in invoices:
        pending = await _pending(stack, backlog) if backlog else None
        started = time.perf_counter()
        response = await stack.http.post(
            f"{api}/api/quickbooks/sync/invoice",
            params={"invoiceId": invoice.id},
            headers=headers,
            timeout=opts.request_timeout_s,
        )
        ms = (time.perf_counter() - started) * 1000
        try:
            status = response.json().get("status")
        except ValueError:
            status = None
        taken.append(
            Sample(
                invoice_id=invoice.id,
                ms=round(ms, 1),
                http_status=response.status_code,
                status=status,
                backlog_pending=pending,
            )
        )
        await asyncio.sleep(opts.gap_s)
    return taken


async def run() -> Result:
    opts = Options()
    async with Stack(NAME) as stack:
        env = await stack.limits(
            per_minute=opts.per_minute,
            in_flight=opts.in_flight,
            latency_ms=(opts.latency_low_ms, opts.latency_high_ms),
        )
        serve, api = await stack.start_serve(env)
        [org] = await stack.connect_orgs(1)
        data = workload.build(
            org, customers=opts.customers, invoices=1 + opts.backlog + 2 * opts.samples
        )
        await workload.seed(stack.stubs, [data])
        tag = f"{stack.tag}-man"
        customers = await workload.publish_all(
            stack, [workload.customer_event(tag, c) for c in data.customers]
        )
        await wait_settled(stack, customers, timeout_s=opts.timeout_s)

        # The first call pays for connections and caches: not counted.
        warm_up = data.invoices[0]
        idle_invoices = data.invoices[1 : 1 + opts.samples]
        busy_invoices = data.invoices[1 + opts.samples : 1 + 2 * opts.samples]
        backlog_invoices = data.invoices[1 + 2 * opts.samples :]
        await _samples(stack, api, org.organization_id, [warm_up], opts, [])
        idle = await _samples(stack, api, org.organization_id, idle_invoices, opts, [])
        backlog = await workload.publish_all(
            stack, [workload.invoice_event(tag, i) for i in backlog_invoices]
        )
        await asyncio.sleep(opts.warm_up_s)
        busy = await _samples(stack, api, org.organization_id, busy_invoices, opts, backlog)
        left = await _pending(stack, backlog)
        realm = request_stats(org.realm_id, await stack.emulator.requests(org.realm_id))
        serve_stats = serve.stats()

    idle_p = percentiles([s.ms for s in idle])
    busy_p = percentiles([s.ms for s in busy])
    idle_p50, busy_p50 = idle_p["p50"], busy_p["p50"]
    ratio = round(float(busy_p50) / float(idle_p50), 2) if idle_p50 and busy_p50 else None
    answered = sum(1 for s in idle + busy if s.http_status == 200 and s.status == "success")
    under_backlog = min((s.backlog_pending or 0 for s in busy), default=0)
    met = ratio is not None and ratio < MAX_SLOWDOWN
    why = None
    if not met:
        why = (
            f"a manual sync took {busy_p50} ms (p50) with the backlog against {idle_p50} ms "
            "idle: it waited for the realm's rate slots behind syncs of the backlog, so a "
            "person waits behind events already waiting; interactive work needs to go "
            "first at the realm (priority), and the realm's next slot is then the only wait"
        )
    if under_backlog == 0:
        why = (why or "") + " (the backlog was worked off before the last sample: not measured)"
    targets = [
        Target(
            metric="p50_busy_over_idle",
            value=ratio,
            target=f"< {MAX_SLOWDOWN} (p50 with a {opts.backlog}-event backlog over idle p50)",
            met=met and under_backlog > 0,
            why=why,
        ),
        Target(
            metric="synchronous_answers",
            value=answered,
            target=f"{len(idle) + len(busy)} (every manual sync answers 200 with its result)",
            met=answered == len(idle) + len(busy),
        ),
        Target.none_of("throttled_429", realm.throttled_429),
    ]
    headline = (
        f"manual invoice sync p50 {idle_p50} ms idle, {busy_p50} ms with a "
        f"{opts.backlog}-event backlog ({ratio}x; p90 {idle_p['p90']} / {busy_p['p90']} ms); "
        f"{answered}/{len(idle) + len(busy)} answered with the result; backlog still pending "
        f"≥ {under_backlog}; {realm.throttled_429} x 429"
    )
    return Result(
        name=NAME,
        headline=headline,
        config=opts.model_dump(),
        targets=targets,
        data={
            "idle_ms": idle_p,
            "backlog_ms": busy_p,
            "ratio_p50": ratio,
            "idle": [s.model_dump() for s in idle],
            "under_backlog": [s.model_dump() for s in busy],
            "backlog_pending_at_end": left,
            "realm": realm.model_dump(),
            "serve_cpu_s": serve_stats.cpu_s if serve_stats else None,
        },
    )
