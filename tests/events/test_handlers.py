"""The event handler: an event becomes pending work of its kind (coalescing while it waits);
a database outage is a retryable error, never a parked message."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from qbsync.config import Settings
from qbsync.events.handlers import DatabaseUnavailable, build_handler
from qbsync.events.schemas import CustomerActivated, InvoiceCreated, PaymentReceived
from qbsync.events.settlement import MessageContext
from qbsync.quickbooks.limiter import RealmLimiters
from qbsync.scheduler.models import PendingWork, Priority
from qbsync.scheduler.service import Scheduling


def _ctx(trigger: str | None = None, correlation_id: str = "c-1") -> MessageContext:
    return MessageContext(
        correlation_id=correlation_id,
        message_id="m-1",
        attempt=1,
        routing_key="customer.activated",
        queue="q",
        redelivered=False,
        received_at=datetime.now(UTC),
        trigger=trigger,
    )


def _scheduling(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> Scheduling:
    async def never(*_: object) -> None:
        raise AssertionError("the handler only enqueues")

    return Scheduling(
        sessionmaker=sessionmaker,
        execute=never,  # type: ignore[arg-type]
        limiters=RealmLimiters(settings.quickbooks),
        settings=settings.scheduler,
    )


async def _work(sessionmaker: async_sessionmaker[AsyncSession], org: int) -> list[PendingWork]:
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(PendingWork).where(PendingWork.organization_id == org).order_by(PendingWork.id)
        )
        return list(rows)


async def test_events_become_pending_work_that_coalesces(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    org_id: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="qbsync.events.handlers")
    handle = build_handler(_scheduling(sessionmaker, settings))
    for n in range(3):
        await handle(
            InvoiceCreated(organization_id=org_id, invoice_id=42), _ctx(correlation_id=f"c-{n}")
        )
    await handle(CustomerActivated(organization_id=org_id, customer_id=6), _ctx("BACKFILL"))
    payment = PaymentReceived(
        organization_id=org_id, payment_id="p-9", invoice_id=42, amount=Decimal("12.50")
    )
    await handle(payment, _ctx())
    invoice, customer, paid = await _work(sessionmaker, org_id)
    assert (invoice.kind, invoice.aforo_id, invoice.coalesced) == ("INVOICE", "invoice-42", 2)
    assert invoice.priority == Priority.EVENT
    assert invoice.correlation_id == "c-0"
    # The events that joined it are found by their own ids in the log, with the work.
    joined = [r for r in caplog.records if r.getMessage().startswith("event joined")]
    assert [(r.correlation_id, r.work_id) for r in joined] == [  # type: ignore[attr-defined]
        ("c-1", invoice.id),
        ("c-2", invoice.id),
    ]
    assert (customer.kind, customer.aforo_id, customer.priority) == (
        "CUSTOMER",
        "CUST-6",
        Priority.BULK,
    )
    assert paid.kind == "PAYMENT"
    assert paid.details is not None
    assert paid.details["amount"] == "12.50"  # money travels as a string


async def test_database_outage_is_retryable(settings: Settings) -> None:
    dead = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:9/qbsync")
    handler = build_handler(_scheduling(async_sessionmaker(dead), settings))
    with pytest.raises(DatabaseUnavailable) as caught:
        await handler(CustomerActivated(organization_id=5, customer_id=6), _ctx())
    assert caught.value.retryable
    await dead.dispose()
