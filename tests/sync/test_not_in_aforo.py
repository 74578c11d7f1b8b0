"""An invoice metering does not know: cheap to ask about, waited out briefly, one chain."""

from __future__ import annotations

import pytest

from qbsync.aforo.errors import AforoNotReady
from qbsync.sync.attempts import failure_status
from qbsync.sync.engine import SyncOptions, sync
from qbsync.sync.models import SyncStatus, SyncTrigger

UNKNOWN = 987_654_321


def _event(correlation_id: str, attempt: int = 1) -> SyncOptions:
    return SyncOptions(
        trigger=SyncTrigger.WEBHOOK if attempt == 1 else SyncTrigger.RETRY,
        correlation_id=correlation_id,
        attempt=attempt,
        will_retry=True,
    )


async def _gets(stubs, invoice_id: int) -> int:
    return len([r for r in await stubs.requests("metering") if r.path.endswith(f"/{invoice_id}")])


async def test_each_attempt_costs_two_gets_and_the_chain_ends_after_two_retries(
    run, org, stubs, logs
) -> None:
    invoice_id = UNKNOWN + org.organization_id % 1000
    before = await _gets(stubs, invoice_id)
    statuses = []
    for attempt in (1, 2, 3):
        result = await run(
            sync,
            kind="invoice",
            organization_id=org.organization_id,
            aforo_id=invoice_id,
            options=_event("evt-a", attempt),
        )
        statuses.append(result.status)
    assert statuses == [SyncStatus.RETRYING, SyncStatus.RETRYING, SyncStatus.FAILED]
    assert await _gets(stubs, invoice_id) - before == 6
    assert [row.error_code for row in await logs("INVOICE")] == ["aforo_not_ready"] * 3


async def test_a_second_webhook_joins_the_chain_already_waiting(run, org, stubs, logs) -> None:
    invoice_id = UNKNOWN + 1 + org.organization_id % 1000
    first = await run(
        sync,
        kind="invoice",
        organization_id=org.organization_id,
        aforo_id=invoice_id,
        options=_event("evt-a"),
    )
    gets = await _gets(stubs, invoice_id)
    second = await run(
        sync,
        kind="invoice",
        organization_id=org.organization_id,
        aforo_id=invoice_id,
        options=_event("evt-b"),
    )
    assert first.status == SyncStatus.RETRYING
    assert second.status == SyncStatus.SKIPPED
    assert second.error is None  # acked: nothing for the second event to retry
    assert "evt-a" in second.message
    assert await _gets(stubs, invoice_id) == gets  # it asked metering nothing
    # The first chain goes on as before.
    again = await run(
        sync,
        kind="invoice",
        organization_id=org.organization_id,
        aforo_id=invoice_id,
        options=_event("evt-a", attempt=2),
    )
    assert again.status == SyncStatus.RETRYING
    statuses = [row.status for row in await logs("INVOICE")]
    assert statuses == ["RETRYING", "SKIPPED", "RETRYING"]


@pytest.mark.parametrize(
    ("attempt", "will_retry", "status"),
    [
        (1, True, SyncStatus.RETRYING),
        (2, True, SyncStatus.RETRYING),
        (3, True, SyncStatus.FAILED),  # beyond its budget of two retries
        (1, False, SyncStatus.FAILED),  # a manual sync is not retried at all
    ],
)
def test_not_ready_is_retried_within_its_budget(
    attempt: int, will_retry: bool, status: SyncStatus
) -> None:
    error = AforoNotReady("invoice 5: not found", service="metering", upstream_status=404)
    assert failure_status(error, will_retry=will_retry, attempt=attempt) == status
