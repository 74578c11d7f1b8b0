"""``kill``: ``kill -9`` of a qbsync worker at random moments while a run is in flight,
repeated; each killed worker is replaced at once (as a supervisor would). No shutdown code
runs in a killed process: unacked messages go back to the queue, open transactions roll
back, and a QBO write may have landed without its mapping being saved."""

from __future__ import annotations

import asyncio
import random
import time

from pydantic_settings import SettingsConfigDict

from bench import runs
from bench.campaign import CampaignOptions, campaign_result, settle_and_judge
from bench.observe import classify, outcomes
from bench.results import Result
from bench.stack import Stack

NAME = "kill"


class Options(CampaignOptions):
    model_config = SettingsConfigDict(env_prefix="BENCH_KILL_")

    customers: int = 20
    invoices: int = 50
    per_minute: int = 150  # slow enough that the run outlives the kills
    workers: int = 2
    kills: int = 6
    min_gap_s: float = 2.0
    max_gap_s: float = 5.0


async def _all_settled(run: runs.Run) -> bool:
    found = await outcomes(run.stack, run.published)
    return all(
        classify(found.get(p.correlation_id)) in ("synced", "skipped", "parked")
        for p in run.published
    )


async def run() -> Result:
    opts = Options()
    dice = random.Random(opts.seed)
    kills: list[dict[str, object]] = []
    async with Stack(NAME) as stack:
        env = await stack.limits(
            per_minute=opts.per_minute,
            in_flight=opts.in_flight,
            latency_ms=(opts.latency_low_ms, opts.latency_high_ms),
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
        for _ in range(opts.kills):
            await asyncio.sleep(dice.uniform(opts.min_gap_s, opts.max_gap_s))
            if await _all_settled(events):
                break
            alive = [w for w in events.workers if w.alive]
            victim = dice.choice(alive)
            victim.kill9()
            replacement = stack.start(f"worker-{len(stack.processes) + 1}", ["worker"], env)
            events.workers.append(replacement)
            kills.append(
                {
                    "at_s": round(time.monotonic() - started, 1),
                    "killed": victim.name,
                    "exit_code": victim.popen.returncode,
                    "replaced_by": replacement.name,
                }
            )
        judged, measured, _ = await settle_and_judge(
            events, timeout_s=opts.timeout_s, stall_s=opts.stall_s
        )

    headline = (
        f"{len(kills)} x kill -9 over {measured.events} events: {judged.events}, "
        f"duplicates {judged.duplicates}, lost {judged.lost_events}"
    )
    return campaign_result(NAME, opts, judged, measured, headline=headline, extra={"kills": kills})
