"""``hostile``: a flood of malformed and hostile messages (bad JSON, wrong types, huge
bodies, unknown organizations, injection strings in ids) shuffled in with good events, some
of whose customers carry injection strings in their names. Good events must be synced as
themselves; every bad one must end skipped or parked with a reason; the worker must live."""

from __future__ import annotations

import random

from pydantic_settings import SettingsConfigDict

from bench import runs, workload
from bench.amqp import BenchPublisher, Published
from bench.campaign import CampaignOptions, campaign_result, settle_and_judge
from bench.hostile_messages import HOSTILE_NAMES, hostile_messages
from bench.results import Result
from bench.stack import Stack

NAME = "hostile"


class Options(CampaignOptions):
    model_config = SettingsConfigDict(env_prefix="BENCH_HOSTILE_")

    orgs: int = 2
    customers: int = 16
    invoices: int = 32
    repeat: int = 3  # copies of each hostile message
    huge_ok_kb: int = 150  # a good event padded with unknown fields, under the body limit
    stall_s: float = 30


async def run() -> Result:
    opts = Options()
    dice = random.Random(opts.seed)
    async with Stack(NAME) as stack:
        env = await stack.limits(
            per_minute=opts.per_minute,
            in_flight=opts.in_flight,
            latency_ms=(opts.latency_low_ms, opts.latency_high_ms),
        )
        workers = await stack.start_workers(opts.workers, env)
        orgs = await stack.connect_orgs(opts.orgs)
        data = [
            workload.build(org, customers=opts.customers, invoices=opts.invoices) for org in orgs
        ]
        # The first organization's customers carry the hostile names (kept unique by a
        # number in front, which the cleaning never removes).
        for k, customer in enumerate(data[0].customers):
            customer.customer_name = f"{k:02d} {HOSTILE_NAMES[k % len(HOSTILE_NAMES)]}"
        await workload.seed(stack.stubs, data)
        events = runs.Run(stack, data, workers, "ev")
        tag = f"{stack.tag}-ev"
        batch = workload.events(tag, data)
        # A good event with 150 KB of unknown fields: under the limit, so it must sync.
        first = data[0].customers[0]
        huge, body = workload.customer_event(f"{stack.tag}-huge", first)
        padded = body[:-1] + f', "padding": "{"p" * opts.huge_ok_kb * 1024}"}}'.encode()
        batch.append((huge, padded))
        expected: dict[str, set[str]] = {f"{tag}-": {"synced"}, f"{stack.tag}-huge": {"synced"}}
        bad = hostile_messages(orgs[0].organization_id, data[1].invoices[0].id, first.customer_id)
        flood: list[tuple[Published, bytes, str | None, str | None]] = [
            (record, body, "application/json", "UTF-8") for record, body in batch
        ]
        for n, message in enumerate(bad * opts.repeat):
            prefix = f"{stack.tag}-bad-{message.kind}-"
            expected[prefix] = set(message.allowed)
            organization_id, entity_type, aforo_id = message.record or (None, None, None)
            record = Published(
                correlation_id=f"{prefix}{n}",
                routing_key=message.routing_key,
                entity_type=entity_type,
                aforo_id=aforo_id,
                organization_id=organization_id,
                at=0.0,
                kind=message.kind,
            )
            flood.append((record, message.body, message.content_type, message.content_encoding))
        dice.shuffle(flood)
        await runs.mark_start(events)
        async with BenchPublisher(stack.amqp) as publisher:
            for record, body, content_type, encoding in flood:
                await publisher.publish(
                    record, body, content_type=content_type, content_encoding=encoding
                )
        events.published = publisher.published
        judged, measured, _ = await settle_and_judge(
            events, timeout_s=opts.timeout_s, stall_s=opts.stall_s, expected_classes=expected
        )
        alive = [w.name for w in workers if w.alive]
        errors = sum(w.log_errors() for w in workers)
        realms_after = len(await stack.emulator.realms())

    bad_total = len(bad) * opts.repeat
    headline = (
        f"{bad_total} hostile + {len(batch)} good messages: {judged.events}, parked by reason "
        f"{judged.parked}, duplicates {judged.duplicates}, lost {judged.lost_events}, "
        f"worker alive: {bool(alive)}"
    )
    return campaign_result(
        NAME,
        opts,
        judged,
        measured,
        headline=headline,
        extra={
            "hostile_messages": bad_total,
            "good_messages": len(batch),
            "hostile_names": list(HOSTILE_NAMES),
            "workers_alive_at_end": alive,
            "worker_error_log_lines": errors,
            "emulator_realms_after": realms_after,
        },
    )
