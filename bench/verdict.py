"""The end-of-run checks: every expected record in QBO exactly once, every event accounted
for as synced, skipped or parked with a reason; recorded as a ``Verdict``, never raised."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel

from bench.amqp import ParkedTally, Published
from bench.observe import Outcome, classify
from bench.stack import Stack
from bench.workload import OrgData


class EntityCheck(BaseModel):
    expected: int
    found: int  # expected records present (at least once)
    duplicates: int  # extra copies of expected records, plus records nobody asked for
    missing: list[str]
    unexpected: list[str]


def check_records(expected: list[str], present: list[str]) -> EntityCheck:
    counts = Counter(present)
    wanted = set(expected)
    extra = sum(n - 1 for n in counts.values() if n > 1)
    unexpected = sorted(name for name in counts if name not in wanted)
    return EntityCheck(
        expected=len(wanted),
        found=sum(1 for name in wanted if counts[name] > 0),
        duplicates=extra + sum(counts[name] for name in unexpected),
        missing=sorted(name for name in wanted if counts[name] == 0)[:20],
        unexpected=unexpected[:20],
    )


async def check_emulator(stack: Stack, data: list[OrgData]) -> dict[str, EntityCheck]:
    """Customers by DisplayName and invoices by DocNumber, per organization, summed."""
    totals: dict[str, EntityCheck] = {}
    for org_data in data:
        realm = org_data.org.realm_id
        customers = await stack.emulator.live(realm, "Customer")
        invoices = await stack.emulator.live(realm, "Invoice")
        checks = {
            "customers": check_records(
                org_data.customer_names(), [str(c.body.get("DisplayName")) for c in customers]
            ),
            "invoices": check_records(
                org_data.doc_numbers(), [str(i.body.get("DocNumber")) for i in invoices]
            ),
        }
        if org_data.payments:
            checks.update(await _money_checks(stack, org_data))
        for key, check in checks.items():
            prior = totals.get(key)
            totals[key] = (
                check
                if prior is None
                else EntityCheck(
                    expected=prior.expected + check.expected,
                    found=prior.found + check.found,
                    duplicates=prior.duplicates + check.duplicates,
                    missing=(prior.missing + check.missing)[:20],
                    unexpected=(prior.unexpected + check.unexpected)[:20],
                )
            )
    return totals


async def _money_checks(stack: Stack, org_data: OrgData) -> dict[str, EntityCheck]:
    """Payments and refund receipts by their reference, credit memos by DocNumber; the zero
    payments that apply credits are not payments of money and are left out."""
    realm = org_data.org.realm_id
    payments = [
        p
        for p in await stack.emulator.live(realm, "Payment")
        if p.body.get("PaymentRefNum") or str(p.body.get("TotalAmt")) not in ("0", "0.00")
    ]
    memos = await stack.emulator.live(realm, "CreditMemo")
    refunds = await stack.emulator.live(realm, "RefundReceipt")
    return {
        "payments": check_records(
            org_data.payment_refs(), [str(p.body.get("PaymentRefNum")) for p in payments]
        ),
        "credit_memos": check_records(
            org_data.credit_numbers(), [str(m.body.get("DocNumber")) for m in memos]
        ),
        "refund_receipts": check_records(
            org_data.refund_refs(), [str(r.body.get("PaymentRefNum")) for r in refunds]
        ),
    }


class Verdict(BaseModel):
    """A fault campaign's end: recorded, never raised."""

    records: dict[str, EntityCheck]
    events_published: int
    events: dict[str, int]  # synced / skipped / parked / pending / missing
    lost_events: int  # neither synced, skipped nor parked with a reason
    good_events_parked: int  # well-formed events for connected orgs that ended parked
    good_parked_samples: list[str]  # "<correlation id>: <status> <error code>"
    duplicates: int
    parked: dict[str, int]  # by park reason, from the parking queue's headers
    parked_without_reason: int
    parked_samples: list[dict[str, str | None]]
    parked_copies: int  # messages in the parking queue (an event parked twice counts twice)
    by_kind: dict[str, dict[str, int]]  # message kind (good, bad_json…) -> outcome -> count
    passed: bool
    notes: list[str]


def verdict(
    records: dict[str, EntityCheck],
    published: list[Published],
    found: dict[str, Outcome],
    parked: ParkedTally,
    *,
    expected_classes: dict[str, set[str]] | None = None,
) -> Verdict:
    """``expected_classes``: for a correlation-id prefix, the outcomes allowed (a hostile
    message must not be synced; a good one must be)."""
    parked_ids = set(parked.correlation_ids)
    classes: Counter[str] = Counter()
    by_kind: dict[str, Counter[str]] = {}
    lost = 0
    good_parked: list[str] = []
    notes: list[str] = []
    for p in published:
        outcome = found.get(p.correlation_id)
        kind = classify(outcome)
        if kind == "missing" and p.correlation_id in parked_ids:
            kind = "parked"
        coalesced = outcome is not None and outcome.coalesced
        if kind == "parked" and p.correlation_id not in parked_ids and not coalesced:
            kind = "failed_not_parked"
        classes[kind] += 1
        by_kind.setdefault(p.kind, Counter())[kind] += 1
        if p.kind == "good" and kind == "parked":
            code = outcome.error_code if outcome else None
            good_parked.append(f"{p.correlation_id}: {outcome.status if outcome else '-'} {code}")
        if kind not in ("synced", "skipped", "parked"):
            lost += 1
        for prefix, allowed in (expected_classes or {}).items():
            if p.correlation_id.startswith(prefix) and kind not in allowed and len(notes) < 20:
                notes.append(f"{p.correlation_id}: {kind}, expected one of {sorted(allowed)}")
    duplicates = sum(check.duplicates for check in records.values())
    missing = sum(check.expected - check.found for check in records.values())
    passed = lost == 0 and duplicates == 0 and missing == 0 and parked.missing_reason == 0
    passed = passed and not notes
    return Verdict(
        records=records,
        events_published=len(published),
        events=dict(classes),
        lost_events=lost,
        good_events_parked=len(good_parked),
        good_parked_samples=good_parked[:12],
        duplicates=duplicates,
        parked=parked.by_reason,
        parked_without_reason=parked.missing_reason,
        parked_samples=parked.samples,
        parked_copies=parked.total,
        by_kind={k: dict(v) for k, v in by_kind.items()},
        passed=passed,
        notes=notes,
    )
