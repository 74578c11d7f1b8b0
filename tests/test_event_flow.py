"""Events end to end: RabbitMQ -> consumers -> engine -> emulator, inside a running app."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal

import aio_pika
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select

from qbsync.app import create_app
from qbsync.config import Settings
from qbsync.sync.models import SyncLog
from tests.settings import emulator_endpoints, make_settings


@pytest.fixture
async def consuming_app(database_url: str, emulator: str) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        db={"url": database_url},
        server={"run_consumers": True},
        amqp={"retry_delays_s": [0.2, 0.4]},
        **emulator_endpoints(emulator),
    )
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=20, shutdown_timeout=30):
        await _eventually(_consuming(app))
        yield app


def _consuming(app: FastAPI) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return bool(app.state.runner.is_consuming)

    return check


async def _publish_like_spring(
    settings: Settings, routing_key: str, body: object, type_id: str
) -> None:
    """As Spring AMQP's Jackson2JsonMessageConverter sends it (aforo-original.md §2d)."""
    connection = await aio_pika.connect(settings.amqp.url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(settings.amqp.exchange)
        await exchange.publish(
            aio_pika.Message(
                json.dumps(body).encode(),
                content_type="application/json",
                content_encoding="UTF-8",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                headers={"__TypeId__": type_id},
            ),
            routing_key=routing_key,
        )


async def _eventually(check: Callable[[], Awaitable[bool]], timeout_s: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


async def _parked(settings: Settings) -> int:
    connection = await aio_pika.connect(settings.amqp.url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(settings.amqp.parking_queue, passive=True)
        return queue.declaration_result.message_count or 0


async def test_three_events_end_to_end(
    consuming_app, org, aforo, emulator_control, sessionmaker
) -> None:
    settings: Settings = consuming_app.state.resources.settings
    customer = await aforo.customer(customer_name="Wayne Enterprises")
    invoice = await aforo.invoice(customer)
    org_id = org.organization_id
    await _publish_like_spring(
        settings,
        "customer.activated",
        {"customerId": customer.customer_id, "organizationId": org_id},
        "aforo.organization.event.CustomerActivatedEvent",
    )
    await _publish_like_spring(
        settings,
        "invoice.created",
        {
            "invoiceId": invoice.id,
            "organizationId": org_id,
            "customerId": customer.customer_id,
            "invoiceNumber": invoice.invoice_number,
            "totalAmount": 210.00,
            "createdAt": 1732147200.123456789,
        },
        "aforo.metering.event.InvoiceCreatedEvent",
    )
    await _publish_like_spring(
        settings,
        "payment.received",
        {
            "paymentId": 777001,
            "invoiceId": str(invoice.id),
            "organizationId": str(org_id),
            "amount": 210.00,
            "paidAt": "2026-11-05T10:00:00Z",
        },
        "aforo.payments.event.PaymentReceivedEvent",
    )

    async def all_there() -> bool:
        return len(await emulator_control.live(org.realm_id, "Payment")) == 1

    await _eventually(all_there)
    assert len(await emulator_control.live(org.realm_id, "Customer")) == 1
    [qbo_invoice] = await emulator_control.live(org.realm_id, "Invoice")
    assert Decimal(str(qbo_invoice.body["Balance"])) == 0
    assert await _parked(settings) == 0
    async with sessionmaker() as session:
        rows = list(await session.scalars(select(SyncLog).where(SyncLog.organization_id == org_id)))
    assert {row.trigger for row in rows} == {"EVENT"}
    assert all(row.correlation_id for row in rows)
    assert {(row.entity_type, row.status) for row in rows} >= {
        ("CUSTOMER", "SUCCESS"),
        ("INVOICE", "SUCCESS"),
        ("PAYMENT", "SUCCESS"),
    }


async def test_redelivery_and_poison(
    consuming_app, org, aforo, emulator_control, sessionmaker
) -> None:
    settings: Settings = consuming_app.state.resources.settings
    customer = await aforo.customer()
    body = {"customerId": customer.customer_id, "organizationId": org.organization_id}
    for _ in range(3):
        await _publish_like_spring(settings, "customer.activated", body, "x.CustomerActivatedEvent")
    await _publish_like_spring(settings, "customer.activated", {"customerId": "not-a-number"}, "x")

    async def settled() -> bool:
        async with sessionmaker() as session:
            rows = list(
                await session.scalars(
                    select(SyncLog).where(
                        (SyncLog.organization_id == org.organization_id)
                        | (SyncLog.organization_id.is_(None))
                    )
                )
            )
        mine = [r for r in rows if r.organization_id == org.organization_id]
        return len(mine) == 3 and await _parked(settings) == 1

    await _eventually(settled)
    assert len(await emulator_control.live(org.realm_id, "Customer")) == 1


async def test_not_connected_org_is_skipped_and_acked(consuming_app, sessionmaker, org_id) -> None:
    settings: Settings = consuming_app.state.resources.settings
    await _publish_like_spring(
        settings, "customer.activated", {"customerId": 1, "organizationId": org_id}, "x"
    )

    async def logged() -> bool:
        async with sessionmaker() as session:
            row = await session.scalar(select(SyncLog).where(SyncLog.organization_id == org_id))
        return row is not None and row.status == "SKIPPED"

    await _eventually(logged)
    assert await _parked(settings) == 0
