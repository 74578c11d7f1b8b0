"""``intuit_webhooks``: a burst of 10,000 Intuit webhook events at one ``qbsync serve``, as
Intuit's delivery misbehaves: both formats, 100 events per delivery over several realms,
deliveries shuffled and their events reordered, some sent twice, old ones replayed at the end,
forged ones mixed in, events for a realm no organization owns.

The events name invoices qbsync synced (changed since, as far as the events say), invoices
it never wrote (a person's), and a realm nobody connected. After the burst the bench waits
until the reconciliation work is done and checks, from the answers and the database:
every delivery answered (no 5xx; forged ones 401), each distinct event taken exactly once
(receipts = distinct events; duplicates and replays answered as duplicates), every record an
event named handled (each synced invoice has a webhook attempt in the sync log, each unknown
one exactly one UNKNOWN_TO_AFORO mismatch), no work parked, and the QuickBooks reads spent
per record (billable reads, from the read budget's table). Answer latency is reported
(Intuit wants 200 within 3 s).
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from bench import workload
from bench.observe import percentiles
from bench.results import Result, Target
from bench.stack import Stack
from qbo_emulator.changes import Change
from qbo_emulator.webhooks.formats import CONTENT_TYPES, Format, render, signature

NAME = "intuit_webhooks"
VERIFIER = "bench-verifier-token"
UNOWNED_REALM = "4620816365000000001"
MAX_ANSWER_S = 3.0
READS_FLUSH_S = 12.0
MAX_READS_PER_EVENT = 0.05


class Options(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BENCH_WEBHOOKS_")

    orgs: int = 3
    invoices_per_org: int = 10
    events: int = 10_000
    per_delivery: int = 100
    unknown_ids_per_realm: int = 200
    unowned_share: float = 0.05
    unknown_share: float = 0.35
    duplicate_share: float = 0.10
    replays: int = 10
    forged: int = 20
    # Intuit sends one delivery at a time per app; two in flight is already more than that.
    senders: int = 2
    seed: int = 11
    timeout_s: float = 600


@dataclass
class Sent:
    status: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    answers: list[dict[str, int]] = field(default_factory=list)


def _events(options: Options, mapped: dict[str, list[str]], dice: random.Random) -> list[Change]:
    """Distinct events; each legacy-format event needs its own second (Intuit's legacy body
    has no event id: same record, operation and second are the same event)."""
    start = datetime.now(UTC) + timedelta(minutes=5)  # later than every sync of the setup
    realms = list(mapped)
    changes: list[Change] = []
    for n in range(options.events):
        roll = dice.random()
        at = start + timedelta(seconds=n)
        if roll < options.unowned_share:
            changes.append(
                Change(UNOWNED_REALM, "Invoice", str(dice.randint(1, 500)), "Update", at)
            )
            continue
        realm = dice.choice(realms)
        if roll < options.unowned_share + options.unknown_share:
            qbo_id = str(100_000 + dice.randint(1, options.unknown_ids_per_realm))
            changes.append(Change(realm, "Invoice", qbo_id, dice.choice(["Create", "Update"]), at))
        else:
            changes.append(Change(realm, "Invoice", dice.choice(mapped[realm]), "Update", at))
    return changes


def _deliveries(
    options: Options, changes: list[Change], dice: random.Random
) -> list[tuple[Format, bytes]]:
    bodies: list[tuple[Format, bytes]] = []
    for start in range(0, len(changes), options.per_delivery):
        batch = changes[start : start + options.per_delivery]
        dice.shuffle(batch)  # reordered within the delivery
        fmt: Format = "cloudevents" if (start // options.per_delivery) % 2 == 0 else "legacy"
        bodies.append((fmt, render(fmt, batch, app_id="bench")))
    return bodies


async def _send(
    http: httpx.AsyncClient, url: str, fmt: Format, body: bytes, sent: Sent, *, forged: bool = False
) -> None:
    token = "not-the-verifier" if forged else VERIFIER
    headers = {"content-type": CONTENT_TYPES[fmt], "intuit-signature": signature(token, body)}
    started = time.perf_counter()
    response = await http.post(url, content=body, headers=headers)
    sent.seconds.append(time.perf_counter() - started)
    sent.status.append(response.status_code)
    if response.status_code == 200:
        sent.answers.append(response.json())


async def run() -> Result:
    options = Options()
    dice = random.Random(options.seed)
    result = Result(name=NAME, config=options.model_dump())
    async with Stack(NAME) as stack:
        orgs = await stack.connect_orgs(options.orgs)
        env = stack.env(
            per_minute=500,
            extra={"QBSYNC_QUICKBOOKS__WEBHOOK_VERIFIER_TOKEN": VERIFIER},
        )
        # Reconciliation goes through no RabbitMQ queue: the run does not wait for consumers.
        _, url = await stack.start_serve(env, consumers=0)
        mapped: dict[str, list[str]] = {}
        for org in orgs:
            data = workload.build(org, customers=2, invoices=options.invoices_per_org)
            await workload.seed(stack.stubs, [data])
            headers = {"Authorization": f"Bearer {stack.token(org.organization_id)}"}
            ids: list[str] = []
            for invoice in data.invoices:
                answer = await stack.http.post(
                    f"{url}/api/quickbooks/sync/invoice",
                    params={"invoiceId": invoice.id},
                    headers=headers,
                )
                ids.append(answer.json()["quickbooksInvoiceId"])
            mapped[org.realm_id] = ids
        changes = _events(options, mapped, dice)
        deliveries = _deliveries(options, changes, dice)
        duplicates = dice.sample(deliveries, int(len(deliveries) * options.duplicate_share))
        queue: list[tuple[Format, bytes, bool]] = [
            (f, b, False) for f, b in deliveries + duplicates
        ]
        dice.shuffle(queue)
        queue += [(f, b, True) for f, b in dice.sample(deliveries, options.forged)]
        dice.shuffle(queue)
        replays = dice.sample(deliveries, options.replays)
        sent = Sent()
        target = f"{url}/api/quickbooks/webhook/intuit"
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=60) as http:
            lock = asyncio.Semaphore(options.senders)

            async def one(fmt: Format, body: bytes, forged: bool) -> None:
                async with lock:
                    await _send(http, target, fmt, body, sent, forged=forged)

            await asyncio.gather(*(one(f, b, forged) for f, b, forged in queue))
            burst_s = time.monotonic() - started
            for fmt, body in replays:  # Intuit (or someone) sends old deliveries again
                await _send(http, target, fmt, body, sent)
        settled = await _wait_done(stack, timeout_s=options.timeout_s)
        drained_s = time.monotonic() - started
        await asyncio.sleep(READS_FLUSH_S)  # the read counts reach their table every few seconds
        facts = await _facts(stack)

        distinct = len({(c.realm_id, c.id, c.operation, c.at) for c in changes})
        answered_duplicates = sum(a["duplicates"] for a in sent.answers)
        sent_duplicates = sum(len(_keys(b)) for _, b in duplicates) + sum(
            len(_keys(b)) for _, b in replays
        )
        owned_unknown = {
            (c.realm_id, c.id)
            for c in changes
            if c.realm_id != UNOWNED_REALM and c.id not in mapped[c.realm_id]
        }
        touched = {
            (c.realm_id, c.id)
            for c in changes
            if c.realm_id in mapped and c.id in mapped[c.realm_id]
        }
        status_5xx = sum(1 for s in sent.status if s >= 500)
        forged_refused = sum(1 for s in sent.status if s == 401)
        latency = percentiles([s * 1000 for s in sent.seconds])
        result.targets = [
            Target.none_of("answers_5xx", status_5xx),
            Target(
                metric="forged_refused",
                value=forged_refused,
                target=f"{options.forged} (401)",
                met=forged_refused == options.forged,
            ),
            Target(
                metric="events_taken",
                value=facts["receipts"],
                target=f"{distinct} (each distinct event once)",
                met=facts["receipts"] == distinct,
            ),
            Target(
                metric="duplicates_answered",
                value=answered_duplicates,
                target=f"{sent_duplicates} (every re-sent event)",
                met=answered_duplicates == sent_duplicates,
            ),
            Target(
                metric="unknown_reported",
                value=facts["unknown"],
                target=f"{len(owned_unknown)} (one per record)",
                met=facts["unknown"] == len(owned_unknown),
            ),
            Target(
                metric="synced_invoices_handled",
                value=facts["handled"],
                target=f"{len(touched)}",
                met=facts["handled"] == len(touched),
            ),
            Target.none_of("work_parked", facts["parked"]),
            Target(metric="work_settled", value=int(settled), target="1", met=settled),
            Target(
                metric="billable_reads_per_event",
                value=round(facts["reads"] / len(changes), 4),
                target="<= 0.05",
                met=facts["reads"] / len(changes) <= MAX_READS_PER_EVENT,
            ),
            Target(
                metric="answer_p99_ms",
                value=latency["p99"],
                target=f"< {MAX_ANSWER_S * 1000:.0f}",
                met=latency["p99"] is not None and float(latency["p99"] or 0) < MAX_ANSWER_S * 1000,
            ),
        ]
        reads = facts["reads"]
        result.headline = (
            f"{len(changes)} events in {len(queue) + len(replays)} deliveries in {burst_s:.1f} s "
            f"(p50 {latency['p50']} ms, p99 {latency['p99']} ms per delivery); settled after "
            f"{drained_s:.1f} s; {reads} billable reads for {len(touched)} synced invoices named"
        )
        result.data = {
            "deliveries": len(queue) + len(replays),
            "burst_s": round(burst_s, 2),
            "drained_s": round(drained_s, 2),
            "latency_ms": latency,
            "distinct_events": distinct,
            "queued": sum(a["queued"] for a in sent.answers),
            "own_writes": sum(a["ownWrites"] for a in sent.answers),
            "unowned": sum(a["unowned"] for a in sent.answers),
            "billable_reads": reads,
            "reads_per_synced_invoice_named": round(reads / len(touched), 2) if touched else None,
            "facts": facts,
        }
    return result


def _keys(body: bytes) -> list[str]:
    from qbsync.reconcile.notifications import read_delivery

    return [c.key for c in read_delivery(body).changes]


async def _wait_done(stack: Stack, *, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        connection = await stack.db()
        try:
            left = await connection.fetchval(
                "SELECT count(*) FROM quickbooks_pending_work WHERE state <> 'PARKED'"
            )
        finally:
            await connection.close()
        if left == 0:
            return True
        await asyncio.sleep(1.0)
    return False


async def _facts(stack: Stack) -> dict[str, int]:
    connection = await stack.db()
    try:
        return {
            "receipts": await connection.fetchval(
                "SELECT count(*) FROM quickbooks_webhook_receipt"
            ),
            "unknown": await connection.fetchval(
                "SELECT count(*) FROM quickbooks_drift_mismatch WHERE kind = 'UNKNOWN_TO_AFORO'"
            ),
            "handled": await connection.fetchval(
                "SELECT count(DISTINCT (organization_id, aforo_id)) FROM quickbooks_sync_log "
                "WHERE trigger = 'WEBHOOK' AND entity_type = 'INVOICE'"
            ),
            "webhook_attempts": await connection.fetchval(
                "SELECT count(*) FROM quickbooks_sync_log WHERE trigger = 'WEBHOOK'"
            ),
            "parked": await connection.fetchval(
                "SELECT count(*) FROM quickbooks_pending_work WHERE state = 'PARKED'"
            ),
            "reads": int(
                await connection.fetchval(
                    "SELECT coalesce(sum(reads), 0) FROM quickbooks_read_usage"
                )
            ),
        }
    finally:
        await connection.close()
