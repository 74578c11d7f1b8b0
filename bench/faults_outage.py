"""``outage``: RabbitMQ and Postgres "restarted" mid-run. The worker reaches both through
TCP proxies in the bench process; a restart is the proxy dropping every connection and
refusing new ones for a while, then accepting again. The shared servers are never touched.

Schedule: ``schedule`` names the server that goes down (rabbitmq, postgres or both), one
outage of ``down_s`` every ``every_s`` seconds from ``first_at_s`` after the first publish.
"""

from __future__ import annotations

import asyncio
import time

from pydantic_settings import SettingsConfigDict

from bench import runs
from bench.campaign import CampaignOptions, campaign_result, settle_and_judge
from bench.proxy import TcpProxy
from bench.results import Result
from bench.stack import Stack

NAME = "outage"


class Options(CampaignOptions):
    model_config = SettingsConfigDict(env_prefix="BENCH_OUTAGE_")

    customers: int = 20
    invoices: int = 40
    per_minute: int = 150  # slow enough that the run outlives the schedule
    # Which server goes down, in order, one every ``every_s`` from ``first_at_s``.
    schedule: str = "rabbitmq,postgres,both,postgres,rabbitmq,postgres"
    first_at_s: float = 3.0
    every_s: float = 7.0
    down_s: float = 4.0
    # The delayed-retry steps: their sum must outlast the outages, as production's
    # 5 s … 1 h do; with 1,2,4 s a backlog consumed during an outage exhausts its attempts.
    retry_delays_s: str = "2,4,8,16"


async def run() -> Result:
    opts = Options()
    amqp_proxy = TcpProxy(5672)
    db_proxy = TcpProxy(5432)
    timeline: list[dict[str, object]] = []
    await amqp_proxy.start()
    await db_proxy.start()
    try:
        delays = tuple(float(d) for d in opts.retry_delays_s.split(","))
        async with Stack(NAME, retry_delays_s=delays) as stack:
            await stack.emulator.configure(
                latency_ms=(opts.latency_low_ms, opts.latency_high_ms),
                max_in_flight=opts.in_flight,
                requests_per_minute=opts.per_minute,
            )
            env = stack.env(
                per_minute=opts.per_minute,
                in_flight=opts.in_flight,
                amqp_url=f"amqp://guest:guest@127.0.0.1:{amqp_proxy.port}/",
                db_url=stack.db_url.replace(":5432/", f":{db_proxy.port}/"),
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
            started = time.monotonic()

            proxies = {
                "rabbitmq": [amqp_proxy],
                "postgres": [db_proxy],
                "both": [amqp_proxy, db_proxy],
            }
            for n, label in enumerate(opts.schedule.split(",")):
                at_s = opts.first_at_s + n * opts.every_s
                await asyncio.sleep(max(0.0, started + at_s - time.monotonic()))
                for proxy in proxies[label.strip()]:
                    proxy.go_down()
                timeline.append({"at_s": round(time.monotonic() - started, 1), "down": label})
                await asyncio.sleep(opts.down_s)
                for proxy in proxies[label.strip()]:
                    proxy.come_back()
                timeline.append({"at_s": round(time.monotonic() - started, 1), "up": label})
            judged, measured, _ = await settle_and_judge(
                events, timeout_s=opts.timeout_s, stall_s=opts.stall_s
            )
            alive = [w.name for w in events.workers if w.alive]
            errors = sum(w.log_errors() for w in events.workers)
    finally:
        await amqp_proxy.close()
        await db_proxy.close()

    headline = (
        f"{len(opts.schedule.split(','))} outages x {opts.down_s} s ({opts.schedule}) over {measured.events} events: {judged.events}, "
        f"duplicates {judged.duplicates}, lost {judged.lost_events}, workers alive {alive}"
    )
    return campaign_result(
        NAME,
        opts,
        judged,
        measured,
        headline=headline,
        extra={
            "timeline": timeline,
            "workers_alive_at_end": alive,
            "worker_error_log_lines": errors,
            "proxy_connections": {
                "rabbitmq": amqp_proxy.connections,
                "postgres": db_proxy.connections,
            },
            "proxy_refused": {"rabbitmq": amqp_proxy.refused, "postgres": db_proxy.refused},
        },
    )
