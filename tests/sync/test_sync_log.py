"""The sync log's one writer and the run reader backfill progress uses."""

from __future__ import annotations

import pytest

from qbsync.sync import sync_log
from qbsync.sync.models import SyncAction, SyncStatus, SyncTrigger


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("plain", "plain"),
        ("nul\x00inside", "nul\\u0000inside"),
        ("\x00", "\\u0000"),
        ("", ""),
    ],
)
def test_text_is_made_storable(text: str, stored: str) -> None:
    assert sync_log.storable(text) == stored


async def _write(session, org_id: int, aforo_id: str, status: str, correlation_id: str | None):
    return await sync_log.write(
        session,
        organization_id=org_id,
        entity_type="INVOICE",
        aforo_id=aforo_id,
        action=SyncAction.NONE,
        status=status,
        trigger=SyncTrigger.BACKFILL,
        correlation_id=correlation_id,
    )


async def test_rows_are_cut_to_their_columns(sessionmaker, org_id) -> None:
    async with sessionmaker.begin() as session:
        row = await sync_log.write(
            session,
            organization_id=org_id,
            entity_type="INVOICE",
            aforo_id="invoice-1",
            action=SyncAction.NONE,
            status=SyncStatus.FAILED,
            trigger=SyncTrigger.EVENT,
            error_code="e" * 80,
            error_message="bad\x00body",
            correlation_id="c" * 150 + "\x00",
        )
        assert row.id is not None
        assert row.error_code == "e" * 50
        assert row.error_message == "bad\\u0000body"
        assert row.correlation_id == "c" * 100


async def test_a_run_counts_the_latest_outcome_of_its_own_targets(sessionmaker, org_id) -> None:
    prefix = f"bf-{org_id}-"
    async with sessionmaker.begin() as session:
        await _write(session, org_id, "invoice-1", SyncStatus.RETRYING, prefix + "invoice-1")
        await _write(session, org_id, "invoice-1", SyncStatus.SUCCESS, prefix + "invoice-1")
        await _write(session, org_id, "invoice-2", SyncStatus.FAILED, prefix + "invoice-2")
        await _write(session, org_id, "invoice-3", SyncStatus.SKIPPED, prefix + "invoice-3")
        await _write(session, org_id, "invoice-4", SyncStatus.RETRYING, prefix + "invoice-4")
        # A dependency synced on the way shares the prefix, not the aforo id: not a target.
        await _write(session, org_id, "CUST-9", SyncStatus.FAILED, prefix + "invoice-2")
        # Another run whose prefix starts like this one's, and a row of no run at all.
        await _write(session, org_id, "invoice-5", SyncStatus.FAILED, f"bf-{org_id}0-invoice-5")
        await _write(session, org_id, "invoice-6", SyncStatus.FAILED, None)
    async with sessionmaker() as session:
        outcomes = await sync_log.outcomes_of_run(session, prefix)
    assert outcomes == sync_log.Outcomes(done=1, skipped=1, failed=1, retrying=1)


async def test_a_prefix_with_like_wildcards_matches_only_itself(sessionmaker, org_id) -> None:
    async with sessionmaker.begin() as session:
        await _write(session, org_id, "invoice-1", SyncStatus.SUCCESS, f"x{org_id}-invoice-1")
    async with sessionmaker() as session:
        outcomes = await sync_log.outcomes_of_run(session, f"_{org_id}-")
    assert outcomes == sync_log.Outcomes(done=0, skipped=0, failed=0, retrying=0)
