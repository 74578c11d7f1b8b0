"""What every fault campaign shares: a fault-tolerant workload, the bounded wait for every
event to settle, and the verdict turned into a Result (recorded, never raised)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic_settings import BaseSettings

from bench import runs
from bench.amqp import ParkedTally, drain_parked
from bench.observe import wait_settled
from bench.results import Result, Target
from bench.stack import Stack
from bench.verdict import Verdict, check_emulator, verdict


class CampaignOptions(BaseSettings):
    """Shared knobs; each campaign reads them with its own prefix (BENCH_KILL_ORGS…)."""

    orgs: int = 3
    customers: int = 15
    invoices: int = 30
    # Of each organization's invoices, how many are paid, half of those credited and a
    # third partly refunded (payment.received, credit_note.issued, payment.refunded).
    money: int = 12
    per_minute: int = 600
    in_flight: int = 10
    latency_low_ms: int = 50
    latency_high_ms: int = 150
    workers: int = 1
    timeout_s: float = 300
    stall_s: float = 45  # stop waiting after this long without any event settling
    seed: int = 7


async def parked_work(stack: Stack) -> ParkedTally:
    """Work the scheduler parked in Postgres (issue #14), where the schema has pending work:
    a message that decoded is parked there, with its reason, not in the parking queue."""
    connection = await stack.db()
    try:
        rows = []
        if await connection.fetchval("SELECT to_regclass('quickbooks_pending_work')"):
            rows = await connection.fetch(
                """
                SELECT correlation_id, park_reason, error_code, error_message
                FROM quickbooks_pending_work WHERE state = 'PARKED' ORDER BY id
                """
            )
    finally:
        await connection.close()
    reasons = Counter(row["park_reason"] or "none" for row in rows)
    codes = Counter(row["error_code"] or "none" for row in rows)
    return ParkedTally(
        total=len(rows),
        by_reason=dict(reasons),
        by_code=dict(codes),
        correlation_ids=[row["correlation_id"] or "" for row in rows],
        missing_reason=sum(1 for row in rows if not row["park_reason"]),
        samples=[
            {
                "correlation_id": row["correlation_id"],
                "reason": row["park_reason"],
                "code": row["error_code"],
                "message": (row["error_message"] or "")[:300],
            }
            for row in rows[:12]
        ],
    )


async def settle_and_judge(
    run: runs.Run,
    *,
    timeout_s: float,
    stall_s: float = 45.0,
    expected_classes: dict[str, set[str]] | None = None,
) -> tuple[Verdict, runs.Measured, bool]:
    """Wait (bounded) for every event to be synced, skipped or parked, then check the
    emulator and what was parked (at the ingress, and as pending work)."""
    stack = run.stack
    found, _, settled = await wait_settled(
        stack, run.published, timeout_s=timeout_s, stall_s=stall_s
    )
    end_cpu = {w.name: runs.cpu_of(w) for w in run.workers}
    measured = await runs.summarize(run, found, settled, end_cpu, None)
    parked = await drain_parked(stack.amqp) + await parked_work(stack)
    records = await check_emulator(stack, run.data)
    judged = verdict(records, run.published, found, parked, expected_classes=expected_classes)
    return judged, measured, settled


def campaign_result(
    name: str,
    opts: BaseSettings,
    judged: Verdict,
    measured: runs.Measured,
    *,
    headline: str,
    extra: dict[str, Any] | None = None,
) -> Result:
    targets = [
        Target(
            metric="lost_events", value=judged.lost_events, target="0", met=judged.lost_events == 0
        ),
        Target(
            metric="duplicates", value=judged.duplicates, target="0", met=judged.duplicates == 0
        ),
        Target(
            metric="missing_records",
            value=sum(c.expected - c.found for c in judged.records.values()),
            target="0",
            met=all(c.expected == c.found for c in judged.records.values()),
        ),
        Target(metric="verdict", value=int(judged.passed), target="pass (1)", met=judged.passed),
        Target(
            metric="good_events_parked",
            value=judged.good_events_parked,
            target="0 (a transient fault is retried, not parked)",
            met=judged.good_events_parked == 0,
        ),
    ]
    return Result(
        name=name,
        headline=f"{'PASS' if judged.passed else 'FAIL'}: {headline}",
        config=opts.model_dump(),
        targets=targets,
        data={
            "verdict": judged.model_dump(),
            "events_per_s": measured.events_per_s,
            "seconds": measured.seconds,
            "throttled_429": measured.throttled_429,
            "realms": [r.model_dump() for r in measured.realms],
            "processes": [p.model_dump() for p in measured.processes],
            **(extra or {}),
        },
    )
