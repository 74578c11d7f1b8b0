"""Bench data: customers and invoices per organization, seeded into the Aforo stubs, and the
events that announce them, published like the Aforo services publish them; optionally the
money after the first write (payments, credit notes, refunds) for some of the invoices."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from bench.amqp import BenchPublisher, Published
from bench.stack import Org, Stack
from qbo_emulator.aforo.control import AforoStubControl
from qbo_emulator.aforo.schemas import (
    StubCreditNote,
    StubCreditNoteLine,
    StubCustomer,
    StubInvoice,
    StubInvoiceLine,
    StubPayment,
    StubRatePlan,
    StubRefund,
    to_json,
)
from qbsync.aforo.orgs import AforoCustomer
from qbsync.sync.mappers.credit_memos import CREDIT_MEMO_IDS
from qbsync.sync.mappers.customers import CUSTOMER_IDS, base_display_name
from qbsync.sync.mappers.invoices import INVOICE_IDS
from qbsync.sync.mappers.payments import PAYMENT_IDS
from qbsync.sync.mappers.refunds import REFUND_IDS

PERIOD_START = datetime(2026, 10, 1, tzinfo=UTC)
PERIOD_END = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)
CREATED = datetime(2026, 11, 1, 0, 10, tzinfo=UTC)


@dataclass
class OrgData:
    org: Org
    customers: list[StubCustomer] = field(default_factory=list)
    invoices: list[StubInvoice] = field(default_factory=list)
    plan: StubRatePlan | None = None
    payments: list[StubPayment] = field(default_factory=list)
    credit_notes: list[StubCreditNote] = field(default_factory=list)
    refunds: list[StubRefund] = field(default_factory=list)

    def customer_names(self) -> list[str]:
        return [display_name(c) for c in self.customers]

    def doc_numbers(self) -> list[str]:
        return [i.invoice_number for i in self.invoices]

    def payment_refs(self) -> list[str]:
        return [p.reference or p.id for p in self.payments]

    def credit_numbers(self) -> list[str]:
        return [n.credit_note_number for n in self.credit_notes]

    def refund_refs(self) -> list[str]:
        return [r.reference or r.id for r in self.refunds]


def display_name(customer: StubCustomer) -> str:
    """The DisplayName qbsync is specified to give this customer (its own mapper: control
    characters and colons replaced, length capped); plain names come out unchanged."""
    return base_display_name(AforoCustomer.model_validate_json(to_json(customer)))


def build(
    org: Org, *, customers: int, invoices: int, name: str = "Bench Customer", money: int = 0
) -> OrgData:
    """``customers`` customers and ``invoices`` invoices spread over them round-robin.
    Ids are derived from the organization id so that every org's records are distinct.
    The first ``money`` invoices are paid; every second of them also gets a credit note of
    10.00, every third a partial refund of 5.00 of its payment."""
    data = OrgData(org)
    oid = org.organization_id
    data.plan = StubRatePlan(
        rate_plan_id=oid * 10, organization_id=oid, rate_plan_name=f"Bench Plan {oid}"
    )
    for k in range(customers):
        data.customers.append(
            StubCustomer(
                customer_id=oid * 100_000 + k,
                organization_id=oid,
                customer_name=f"{name} {oid}-{k:05d}",
                primary_email=f"billing-{oid}-{k}@bench.example",
                status="ACTIVE",
            )
        )
    for k in range(invoices):
        customer = data.customers[k % customers]
        invoice_id = oid * 1_000_000 + k
        lines = [
            StubInvoiceLine(
                id=invoice_id * 10 + 1,
                line_number=1,
                description="Flat Fee",
                calculation="Base",
                amount=Decimal("200.00"),
            ),
            StubInvoiceLine(
                id=invoice_id * 10 + 2,
                line_number=2,
                description="Overage Charges",
                calculation="Usage",
                amount=Decimal(f"{k % 97}.{k % 100:02d}"),
            ),
        ]
        data.invoices.append(
            StubInvoice(
                id=invoice_id,
                organization_id=oid,
                customer_id=customer.customer_id,
                rate_plan_id=data.plan.rate_plan_id,
                invoice_number=f"B{oid}-{k:06d}",
                total_amount=sum((line.amount for line in lines), Decimal(0)),
                billing_period_start=PERIOD_START,
                billing_period_end=PERIOD_END,
                status="ISSUED",
                created_at=CREATED,
                updated_at=CREATED,
                line_items=lines,
            )
        )
    for k, paid in enumerate(data.invoices[:money]):
        _money_story(data, k, paid)
    return data


def _money_story(data: OrgData, k: int, paid: StubInvoice) -> None:
    oid = data.org.organization_id
    payment = StubPayment(
        id=f"BP{oid}-{k:06d}",
        organization_id=oid,
        customer_id=paid.customer_id,
        invoice_id=paid.id,
        amount=paid.total_amount,
        payment_method="card",
        paid_at=CREATED,
        reference=f"BP{oid}-{k:06d}",
    )
    data.payments.append(payment)
    if k % 2 == 0:
        data.credit_notes.append(
            StubCreditNote(
                id=paid.id,
                organization_id=oid,
                customer_id=paid.customer_id,
                invoice_id=paid.id,
                credit_note_number=f"BC{oid}-{k:06d}",
                total_amount=Decimal("10.00"),
                issued_at=CREATED,
                line_items=[
                    StubCreditNoteLine(line_number=1, description="Credit", amount=Decimal("10.00"))
                ],
            )
        )
    if k % 3 == 0:
        data.refunds.append(
            StubRefund(
                id=f"BR{oid}-{k:06d}",
                organization_id=oid,
                payment_id=payment.id,
                invoice_id=paid.id,
                customer_id=paid.customer_id,
                amount=Decimal("5.00"),
                refunded_at=CREATED,
                reference=f"BR{oid}-{k:06d}",
            )
        )


async def seed(stubs: AforoStubControl, data: list[OrgData], parallel: int = 16) -> None:
    """Put every record into the stubs (bounded concurrency: the emulator is one process)."""
    slots = asyncio.Semaphore(parallel)

    async def put(job: Awaitable[None]) -> None:
        async with slots:
            await job

    jobs: list[Awaitable[None]] = []
    for org_data in data:
        assert org_data.plan is not None
        jobs.append(put(stubs.put_rate_plan(org_data.plan)))
        jobs += [
            put(stubs.put_customer(org_data.org.organization_id, c)) for c in org_data.customers
        ]
        jobs += [put(stubs.put_invoice(i)) for i in org_data.invoices]
        jobs += [put(stubs.put_payment(p)) for p in org_data.payments]
        jobs += [put(stubs.put_credit_note(n)) for n in org_data.credit_notes]
        jobs += [put(stubs.put_refund(r)) for r in org_data.refunds]
    await asyncio.gather(*jobs)


def customer_event(tag: str, customer: StubCustomer) -> tuple[Published, bytes]:
    assert customer.organization_id is not None
    body = {"customerId": customer.customer_id, "organizationId": customer.organization_id}
    record = Published(
        correlation_id=f"{tag}-c{customer.customer_id}",
        routing_key="customer.activated",
        entity_type="CUSTOMER",
        aforo_id=CUSTOMER_IDS.format(customer.customer_id),
        organization_id=customer.organization_id,
        at=0.0,
    )
    return record, json.dumps(body).encode()


def invoice_event(tag: str, invoice: StubInvoice) -> tuple[Published, bytes]:
    body = {
        "invoiceId": invoice.id,
        "organizationId": invoice.organization_id,
        "customerId": invoice.customer_id,
        "invoiceNumber": invoice.invoice_number,
        "totalAmount": float(invoice.total_amount),
        "createdAt": CREATED.timestamp(),
    }
    record = Published(
        correlation_id=f"{tag}-i{invoice.id}",
        routing_key="invoice.created",
        entity_type="INVOICE",
        aforo_id=INVOICE_IDS.format(invoice.id),
        organization_id=invoice.organization_id,
        at=0.0,
    )
    return record, json.dumps(body).encode()


def _money_event(
    tag: str,
    routing_key: str,
    body: dict[str, object],
    *,
    entity_type: str,
    aforo_id: str,
    organization_id: int,
) -> tuple[Published, bytes]:
    record = Published(
        correlation_id=f"{tag}-{aforo_id}",
        routing_key=routing_key,
        entity_type=entity_type,
        aforo_id=aforo_id,
        organization_id=organization_id,
        at=0.0,
    )
    return record, json.dumps({"organizationId": organization_id, **body}).encode()


def money_events(tag: str, data: OrgData) -> list[tuple[Published, bytes]]:
    """payment.received, credit_note.issued and payment.refunded for the money stories."""
    oid = data.org.organization_id
    out = [
        _money_event(
            tag,
            "payment.received",
            {"paymentId": p.id},
            entity_type="PAYMENT",
            aforo_id=PAYMENT_IDS.format(p.id),
            organization_id=oid,
        )
        for p in data.payments
    ]
    out += [
        _money_event(
            tag,
            "credit_note.issued",
            {"creditNoteId": n.id, "invoiceId": n.invoice_id},
            entity_type="CREDITMEMO",
            aforo_id=CREDIT_MEMO_IDS.format(f"note-{n.id}"),
            organization_id=oid,
        )
        for n in data.credit_notes
    ]
    out += [
        _money_event(
            tag,
            "payment.refunded",
            {"refundId": r.id, "paymentId": r.payment_id},
            entity_type="REFUND",
            aforo_id=REFUND_IDS.format(r.id),
            organization_id=oid,
        )
        for r in data.refunds
    ]
    return out


def events(tag: str, data: list[OrgData]) -> list[tuple[Published, bytes]]:
    """Customers first, then invoices, interleaved across organizations (the order the
    Aforo services emit them: a customer is activated before it is billed)."""
    out: list[tuple[Published, bytes]] = []
    longest = max((len(d.customers) for d in data), default=0)
    for k in range(longest):
        out += [customer_event(tag, d.customers[k]) for d in data if k < len(d.customers)]
    longest = max((len(d.invoices) for d in data), default=0)
    for k in range(longest):
        out += [invoice_event(tag, d.invoices[k]) for d in data if k < len(d.invoices)]
    for d in data:
        out += money_events(tag, d)
    return out


async def publish_all(
    stack: Stack, batch: list[tuple[Published, bytes]], *, per_second: float | None = None
) -> list[Published]:
    """Publish with confirms, as fast as the broker confirms or paced at ``per_second``."""
    async with BenchPublisher(stack.amqp) as publisher:
        started = time.monotonic()
        for n, (record, body) in enumerate(batch):
            if per_second:
                delay = started + n / per_second - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await publisher.publish(record, body)
        return publisher.published
