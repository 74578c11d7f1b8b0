"""Events end to end: RabbitMQ -> consumers -> pending work -> scheduler -> engine -> emulator,
inside a running app."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from qbsync.config import Settings
from qbsync.scheduler.models import PendingWork
from qbsync.sync.models import SyncLog
from tests.fixtures.consumers import eventually, parked_count, publish_like_spring


async def test_three_events_end_to_end(
    consuming_app, org, aforo, emulator_control, sessionmaker
) -> None:
    settings: Settings = consuming_app.state.resources.settings
    customer = await aforo.customer(customer_name="Wayne Enterprises")
    invoice = await aforo.invoice(customer)
    org_id = org.organization_id
    await publish_like_spring(
        settings,
        "customer.activated",
        {"customerId": customer.customer_id, "organizationId": org_id},
        "aforo.organization.event.CustomerActivatedEvent",
    )
    await publish_like_spring(
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
    await publish_like_spring(
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

    await eventually(all_there)
    assert len(await emulator_control.live(org.realm_id, "Customer")) == 1
    [qbo_invoice] = await emulator_control.live(org.realm_id, "Invoice")
    assert Decimal(str(qbo_invoice.body["Balance"])) == 0
    assert await parked_count(settings) == 0
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
        await publish_like_spring(settings, "customer.activated", body, "x.CustomerActivatedEvent")
    await publish_like_spring(settings, "customer.activated", {"customerId": "not-a-number"}, "x")

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
            waiting = await session.scalar(
                select(func.count())
                .select_from(PendingWork)
                .where(PendingWork.organization_id == org.organization_id)
            )
        mine = [r for r in rows if r.organization_id == org.organization_id]
        # Repeats coalesce while the first waits: one to three attempts, never a second copy.
        return 1 <= len(mine) <= 3 and not waiting and await parked_count(settings) == 1

    await eventually(settled)
    assert len(await emulator_control.live(org.realm_id, "Customer")) == 1


async def test_not_connected_org_is_skipped_and_acked(consuming_app, sessionmaker, org_id) -> None:
    settings: Settings = consuming_app.state.resources.settings
    await publish_like_spring(
        settings, "customer.activated", {"customerId": 1, "organizationId": org_id}, "x"
    )

    async def logged() -> bool:
        async with sessionmaker() as session:
            row = await session.scalar(select(SyncLog).where(SyncLog.organization_id == org_id))
        return row is not None and row.status == "SKIPPED"

    await eventually(logged)
    assert await parked_count(settings) == 0
