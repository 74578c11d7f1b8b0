"""The event handler turns a database outage into a retryable error, never a parked message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from qbsync.events.handlers import DatabaseUnavailable, build_handler
from qbsync.events.schemas import CustomerActivated
from qbsync.events.settlement import MessageContext


async def test_database_outage_is_retryable(deps, settings) -> None:
    dead = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:9/qbsync")
    handler = build_handler(async_sessionmaker(dead), deps, settings.amqp)
    ctx = MessageContext(
        correlation_id="c-1",
        message_id="m-1",
        attempt=1,
        routing_key="customer.activated",
        queue="q",
        redelivered=False,
        received_at=datetime.now(UTC),
        trigger=None,
    )
    with pytest.raises(DatabaseUnavailable) as caught:
        await handler(CustomerActivated(organization_id=5, customer_id=6), ctx)
    assert caught.value.retryable
    await dead.dispose()
