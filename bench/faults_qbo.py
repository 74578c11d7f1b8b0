"""``qbo_faults``: the emulator injecting 500s, 503s, timeouts, 429s and "write landed,
response lost" at random (seeded) rates, plus queued lost responses aimed at creates, while
a run is in flight. qbsync's client timeout is set below the emulator's hold time, so an
injected timeout is a real client-side timeout."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from bench import runs
from bench.campaign import CampaignOptions, campaign_result, settle_and_judge
from bench.results import Result
from bench.stack import Stack
from qbo_emulator.config import ErrorRates

NAME = "qbo_faults"


class Options(CampaignOptions):
    model_config = SettingsConfigDict(env_prefix="BENCH_QBO_FAULTS_")

    http_500: float = 0.03
    http_503: float = 0.03
    timeout: float = 0.02
    throttle: float = 0.05
    lost_response: float = 0.05
    # Lost answers aimed at creates on top of the random ones (the dangerous case).
    lost_creates: int = 10
    client_timeout_s: float = 2.0
    emulator_hold_s: float = 3.0


async def run() -> Result:
    opts = Options()
    async with Stack(NAME) as stack:
        await stack.emulator.configure(
            latency_ms=(opts.latency_low_ms, opts.latency_high_ms),
            max_in_flight=opts.in_flight,
            requests_per_minute=opts.per_minute,
            rates=ErrorRates(
                http_500=opts.http_500,
                http_503=opts.http_503,
                timeout=opts.timeout,
                throttle=opts.throttle,
                lost_response=opts.lost_response,
            ),
            timeout_hold_s=opts.emulator_hold_s,
            lost_response_hold_s=0.0,
            random_seed=opts.seed,
        )
        for entity in (
            "/customer",
            "/invoice",
            "/payment",
            "/creditmemo",
            "/refundreceipt",
            "/batch",
        ):
            await stack.emulator.queue_fault(
                "lost_response",
                method="POST",
                path_contains=entity,
                count=opts.lost_creates,
                # A create whose answer was lost, retried: the dangerous case. Without it a
                # kind with few lone creates (refunds mostly ride /batch) had all ten land
                # on one refund's retries and exhaust its attempts.
                once_per_request=True,
            )
        env = stack.env(
            per_minute=opts.per_minute,
            in_flight=opts.in_flight,
            extra={
                "QBSYNC_QUICKBOOKS__TIMEOUT_S": str(opts.client_timeout_s),
                "QBSYNC_QUICKBOOKS__MAX_BACKOFF_S": "2",
            },
        )
        workers = await stack.start_workers(opts.workers, env)
        events = await runs.prepare(
            stack,
            workers,
            orgs=opts.orgs,
            customers=opts.customers,
            invoices=opts.invoices,
            money=opts.money,
        )
        await runs.publish(events)
        judged, measured, _ = await settle_and_judge(
            events, timeout_s=opts.timeout_s, stall_s=opts.stall_s
        )

    injected: dict[str, int] = {}
    for realm in measured.realms:
        for kind, count in realm.faults.items():
            injected[kind] = injected.get(kind, 0) + count
    headline = (
        f"{sum(injected.values())} faults injected {injected} over {measured.events} events: "
        f"{judged.events}, duplicates {judged.duplicates}, lost {judged.lost_events}"
    )
    return campaign_result(
        NAME, opts, judged, measured, headline=headline, extra={"injected": injected}
    )
