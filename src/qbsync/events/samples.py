"""Sample events of each type, for people trying qbsync out (``qbsync publish``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from qbsync.config import AmqpSettings
from qbsync.events.connection import AmqpConnector
from qbsync.events.errors import BrokerUnavailable
from qbsync.events.publisher import Publisher
from qbsync.events.schemas import CustomerActivated, Event, InvoiceCreated, PaymentReceived


def sample_events(
    org_id: int,
    *,
    customer_id: int = 1001,
    invoice_id: int = 5001,
    payment_id: str = "9001",
) -> list[Event]:
    """A customer activation, an invoice for that customer, and a full payment of it."""
    now = datetime.now(UTC).replace(microsecond=0)
    period_end = now.replace(day=1, hour=0, minute=0, second=0)
    period_start = (period_end - timedelta(days=1)).replace(day=1)
    total = Decimal("210.00")
    return [
        CustomerActivated(
            customer_id=customer_id,
            organization_id=org_id,
            occurred_at=now,
            event_id=f"sample-{uuid.uuid4().hex}",
        ),
        InvoiceCreated(
            invoice_id=invoice_id,
            organization_id=org_id,
            customer_id=customer_id,
            invoice_number=f"INV-{invoice_id}",
            total_amount=total,
            billing_period_start=period_start,
            billing_period_end=period_end,
            created_at=now,
            event_id=f"sample-{uuid.uuid4().hex}",
        ),
        PaymentReceived(
            payment_id=payment_id,
            invoice_id=invoice_id,
            customer_id=customer_id,
            organization_id=org_id,
            amount=total,
            currency="USD",
            payment_method="CARD",
            paid_at=now,
            reference=f"sample-payment-{payment_id}",
            event_id=f"sample-{uuid.uuid4().hex}",
        ),
    ]


async def publish_samples(
    publisher: Publisher,
    org_id: int,
    customer_id: int = 1001,
    invoice_id: int = 5001,
    payment_id: str = "9001",
) -> list[Event]:
    """Publish one event of each type (in dependency order); returns what was published."""
    events = sample_events(
        org_id, customer_id=customer_id, invoice_id=invoice_id, payment_id=payment_id
    )
    for event in events:
        await publisher.publish(event, trigger="MANUAL")
    return events


async def publish_samples_to(
    settings: AmqpSettings,
    org_id: int,
    *,
    customer_id: int = 1001,
    invoice_id: int = 5001,
    payment_id: str = "9001",
    connect_timeout_s: float = 10.0,
) -> list[Event]:
    """Connect, publish the samples, disconnect: the whole of a ``qbsync publish`` command."""
    connector = AmqpConnector(settings, name="qbsync-publish")
    await connector.start()
    publisher = Publisher(connector, settings)
    try:
        if not await connector.wait_connected(connect_timeout_s):
            where = urlsplit(settings.url)
            raise BrokerUnavailable(
                f"RabbitMQ at {where.hostname}:{where.port or 5672} is not reachable"
            )
        return await publish_samples(
            publisher, org_id, customer_id=customer_id, invoice_id=invoice_id, payment_id=payment_id
        )
    finally:
        await publisher.close()
        await connector.close()
