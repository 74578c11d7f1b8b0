"""Reconciliation's reads are optional: past the read budget's soft threshold they wait."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qbsync.config import Settings
from qbsync.reconcile.models import SweepCursor
from qbsync.reconcile.sweep import sweep_request
from qbsync.scheduler import repository as work_queue
from qbsync.scheduler.models import PendingWork
from qbsync.sync.engine import sync
from tests.reconcile.conftest import VERIFIER_TOKEN, drain
from tests.settings import emulator_endpoints, make_settings


@pytest.fixture
def settings(database_url: str, emulator: str) -> Settings:
    endpoints = emulator_endpoints(emulator)
    # Two reads a month; past the first, optional reads are deferred.
    endpoints["quickbooks"] |= {
        "webhook_verifier_token": VERIFIER_TOKEN,
        "monthly_read_budget": 2,
        "read_soft_share": 0.5,
        "read_hard_share": 1.0,
    }
    return make_settings(db={"url": database_url}, **endpoints)


async def test_a_sweep_past_the_soft_threshold_waits_and_is_not_parked(
    sessionmaker, resources, deps, org, aforo
) -> None:
    customer = await aforo.customer()
    invoice = await aforo.invoice(customer)
    async with sessionmaker.begin() as session:
        # A write's own reads are never held back (and count: the budget is now spent).
        result = await sync(
            session, deps, organization_id=org.organization_id, kind="invoice", aforo_id=invoice.id
        )
        assert result.error is None, result.message
        await work_queue.enqueue(
            session, sweep_request(org.organization_id, org.realm_id, max_attempts=3)
        )
    await drain(resources, sessionmaker, org.organization_id)
    async with sessionmaker() as session:
        parked = list(
            await session.scalars(
                select(PendingWork).where(PendingWork.organization_id == org.organization_id)
            )
        )
        cursor = await session.get(SweepCursor, (org.organization_id, org.realm_id))
    assert parked == []
    assert cursor is None  # nothing was swept: the next sweep starts where this one would have
