"""Scheduler fixtures: empty work tables per test, work requests, a recording executor."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.scheduler.execution import Attempt
from qbsync.scheduler.models import PendingWork, Priority, RealmLease, WorkResult
from qbsync.scheduler.repository import WorkRequest
from qbsync.sync.models import SyncAction, SyncStatus
from qbsync.sync.results import SyncResult


@pytest.fixture(autouse=True)
async def _empty_work_tables(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    """Schedulers take any realm's work; tests run one at a time on their run's database,
    so each starts from empty work tables."""

    async def empty() -> None:
        async with sessionmaker.begin() as session:
            for table in (PendingWork, RealmLease, WorkResult):
                await session.execute(delete(table))

    await empty()
    yield
    await empty()


def work(
    organization_id: int,
    number: int = 1,
    *,
    kind: str = "INVOICE",
    priority: Priority = Priority.EVENT,
    trigger: str = "EVENT",
    max_attempts: int = 3,
    **fields: Any,
) -> WorkRequest:
    prefix = {"INVOICE": "invoice-", "CUSTOMER": "CUST-", "PAYMENT": "payment-"}[kind]
    return WorkRequest(
        organization_id=organization_id,
        kind=kind,
        aforo_id=f"{prefix}{number}",
        priority=priority,
        trigger=trigger,
        max_attempts=max_attempts,
        **fields,
    )


@dataclass
class Run:
    work_id: int
    organization_id: int
    aforo_id: str
    lane: str
    attempt: int
    started: float
    ended: float = 0.0


@dataclass
class RecordingExecutor:
    """Stands in for the sync engine where the test is about scheduling, not syncing."""

    duration_s: float = 0.05
    fail: dict[str, Any] = field(default_factory=dict)  # aforo_id -> error to return
    runs: list[Run] = field(default_factory=list)
    running: dict[str, int] = field(default_factory=dict)  # lane -> now running
    peak: dict[str, int] = field(default_factory=dict)
    gate: asyncio.Event | None = None

    async def __call__(self, session: AsyncSession, attempt: Attempt) -> SyncResult:  # noqa: ARG002
        w = attempt.work
        run = Run(w.id, w.organization_id, w.aforo_id, w.lane, attempt.number, time.monotonic())
        self.runs.append(run)
        self.running[w.lane] = self.running.get(w.lane, 0) + 1
        self.peak[w.lane] = max(self.peak.get(w.lane, 0), self.running[w.lane])
        try:
            if self.gate is not None:
                await self.gate.wait()
            await asyncio.sleep(self.duration_s)
        finally:
            self.running[w.lane] -= 1
            run.ended = time.monotonic()
        error = self.fail.get(w.aforo_id)
        if error is not None:
            return SyncResult(
                w.kind,
                w.aforo_id,
                SyncStatus.FAILED,
                SyncAction.NONE,
                None,
                str(error),
                None,
                error,
            )
        return SyncResult(
            w.kind, w.aforo_id, SyncStatus.SUCCESS, SyncAction.CREATE, "77", "created"
        )

    def done(self, organization_id: int) -> list[str]:
        return [r.aforo_id for r in self.runs if r.organization_id == organization_id and r.ended]
