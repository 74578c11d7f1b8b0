"""The sync-log recorder stores whatever a hostile message carried, NUL characters included."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from qbsync.events.outcomes import RunnerOutcome
from qbsync.events.recorder import SyncLogRecorder
from qbsync.sync.models import SyncLog


async def test_a_body_with_nul_characters_is_recorded(sessionmaker) -> None:
    outcome = RunnerOutcome(
        status="FAILED",
        reason="invalid_message",
        category="INVALID_INPUT",
        code="invalid_json",
        message="body is not JSON (\x00)",
        attempts=1,
        routing_key="invoice.created",
        queue="q",
        correlation_id="nul-test-correlation",
        message_id="nul-test-message",
        body_excerpt="\ufffd\ufffd\x00garbage\ufffd",
        occurred_at=datetime.now(UTC),
    )
    await SyncLogRecorder(sessionmaker).record(outcome)
    async with sessionmaker() as session:
        row = await session.scalar(
            select(SyncLog).where(SyncLog.correlation_id == "nul-test-correlation")
        )
    assert row is not None
    assert row.status == "FAILED"
    assert "garbage" in row.request_payload["body"]
