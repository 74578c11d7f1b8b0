"""The Aforo stubs' in-memory state: seeded records, failure knobs and the request log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from qbo_emulator.aforo.schemas import (
    StubCreditNote,
    StubCustomer,
    StubInvoice,
    StubInvoiceLine,
    StubPayment,
    StubRatePlan,
    StubRefund,
    StubRequest,
    StubService,
)

SEED_ORG_ID = 1


def _at(day: int, hour: int = 0, minute: int = 0, micros: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, 0, micros, tzinfo=UTC)


def _line(
    id_: int, number: int, description: str, amount: str, calculation: str | None
) -> StubInvoiceLine:
    return StubInvoiceLine(
        id=id_,
        line_number=number,
        description=description,
        calculation=calculation,
        amount=Decimal(amount),
    )


def seed_customers() -> list[StubCustomer]:
    return [
        StubCustomer(
            customer_id=1,
            organization_id=SEED_ORG_ID,
            customer_name="Acme Corp",
            company_name="Acme Corporation",
            company_type="BUSINESS",
            primary_email="billing@acme.example",
            phone_number="+1 415 555 0100",
            status="ACTIVE",
            customer_address_line1="1 Market St",
            customer_address_line2="Suite 400",
            customer_city="San Francisco",
            customer_state="CA",
            customer_postal_code="94105",
            customer_country="US",
            billing_same_as_customer=True,
            created_on=_at(2),
        ),
        StubCustomer(
            # Quotes, a colon (QBO refuses it in DisplayName) and non-ASCII letters.
            customer_id=2,
            organization_id=SEED_ORG_ID,
            customer_name='Zoë "ZZ" Müller: Café Ünïcode',
            company_name="Café Ünïcode GmbH",
            company_type="INDIVIDUAL",
            primary_email="zoe@cafe.example",
            status="ACTIVE",
            customer_address_line1="Königstraße 7",
            customer_city="Stuttgart",
            customer_postal_code="70173",
            customer_country="DE",
            created_on=_at(3, micros=250000),
        ),
        StubCustomer(
            customer_id=3,
            organization_id=SEED_ORG_ID,
            customer_name="Globex Ltd",
            company_name="Globex Limited",
            company_type="BUSINESS",
            primary_email="ap@globex.example",
            additional_email_recipients=["cfo@globex.example", "audit@globex.example"],
            phone_number="+44 20 7946 0000",
            status="ACTIVE",
            customer_address_line1="10 Downing Ave",
            customer_city="London",
            customer_postal_code="SW1A 2AA",
            customer_country="GB",
            billing_same_as_customer=False,
            billing_address_line1="PO Box 42",
            billing_city="Leeds",
            billing_postal_code="LS1 4AP",
            billing_country="GB",
        ),
        StubCustomer(
            customer_id=4,
            organization_id=SEED_ORG_ID,
            customer_name="Draft Dynamics",
            company_type="BUSINESS",
            primary_email="hello@draft.example",
            status="DRAFT",
        ),
    ]


def seed_rate_plans() -> list[StubRatePlan]:
    return [
        StubRatePlan(
            rate_plan_id=5,
            organization_id=SEED_ORG_ID,
            rate_plan_code="PRO-M",
            rate_plan_name="Pro Monthly",
            billing_frequency="MONTHLY",
            product_id=11,
            product_name="API Gateway",
        ),
        StubRatePlan(
            rate_plan_id=6,
            organization_id=SEED_ORG_ID,
            rate_plan_code="USAGE-W",
            rate_plan_name="Usage Starter",
            billing_frequency="WEEKLY",
            product_id=12,
            product_name="Analytics API",
            payment_type="PREPAID",
        ),
    ]


def seed_invoices() -> list[StubInvoice]:
    return [
        StubInvoice(
            id=101,
            organization_id=SEED_ORG_ID,
            customer_id=1,
            subscription_id=17,
            rate_plan_id=5,
            invoice_number="INV-MK2J4Z1A101",
            total_amount=Decimal("210.00"),
            model_type="MONTHLY",
            billing_period_start=_at(1),
            billing_period_end=_at(31, 23, 59),
            created_at=_at(5, 10),
            updated_at=_at(5, 10),
            line_items=[
                _line(1002, 2, "Overage Charges", "10.00", "20 * 0.5"),
                _line(1001, 1, "Flat Fee", "200.00", "Base"),
            ],
        ),
        StubInvoice(
            id=102,
            organization_id=SEED_ORG_ID,
            customer_id=2,
            subscription_id=18,
            rate_plan_id=6,
            invoice_number="INV-MK2J5B7Q102",
            total_amount=Decimal("135.00"),
            model_type="WEEKLY",
            billing_period_start=_at(5),
            billing_period_end=_at(12),
            created_at=_at(12, 0, 10, 123456),
            updated_at=_at(12, 0, 10, 123456),
            line_items=[
                _line(1005, 3, "Discount (10%)", "-15.00", "150.00 * 10%"),
                _line(1003, 1, "Usage Charges", "150.00", "300 * 0.5"),
                _line(1004, 2, "Freemium Credit", "0.00", None),
            ],
        ),
        StubInvoice(
            id=103,
            organization_id=SEED_ORG_ID,
            customer_id=3,
            subscription_id=19,
            rate_plan_id=5,
            invoice_number="INV-MK2J6C9R103",
            total_amount=Decimal("200.00"),
            model_type="MONTHLY",
            billing_period_start=_at(1),
            billing_period_end=_at(31, 23, 59),
            status="ISSUED",
            created_at=_at(14, 9, 30, 500000),
            updated_at=_at(15, 8),
            line_items=[_line(1006, 1, "Flat Fee", "200.00", "Flat fee")],
        ),
    ]


def seed_payments() -> list[StubPayment]:
    return [
        StubPayment(
            id="PAY-1001",
            organization_id=SEED_ORG_ID,
            customer_id=3,
            invoice_id=103,
            amount=Decimal("200.00"),
            currency="USD",
            payment_method="CARD",
            paid_at=_at(16, 12, 0, 42000),
            reference="ch_3QxYz1001",
        )
    ]


@dataclass
class StubFailure:
    status: int
    remaining: int


@dataclass
class AforoStubStore:
    """Everything the stub services serve; ``reset()`` returns to the seed."""

    customers: dict[int, dict[int, StubCustomer]] = field(default_factory=dict)
    invoices: dict[int, StubInvoice] = field(default_factory=dict)
    rate_plans: dict[int, StubRatePlan] = field(default_factory=dict)
    payments: dict[str, StubPayment] = field(default_factory=dict)
    credit_notes: dict[int, StubCreditNote] = field(default_factory=dict)
    refunds: dict[str, StubRefund] = field(default_factory=dict)
    not_ready: dict[int, int] = field(default_factory=dict)
    failures: dict[StubService, StubFailure] = field(default_factory=dict)
    requests: list[StubRequest] = field(default_factory=list)
    seeded: bool = True

    def __post_init__(self) -> None:
        if self.seeded:
            self.reset()

    def reset(self) -> None:
        self.customers.clear()
        self.invoices.clear()
        self.rate_plans.clear()
        self.payments.clear()
        self.credit_notes.clear()
        self.refunds.clear()
        self.not_ready.clear()
        self.failures.clear()
        self.requests.clear()
        for customer in seed_customers():
            self.put_customer(SEED_ORG_ID, customer)
        for invoice in seed_invoices():
            self.put_invoice(invoice)
        for plan in seed_rate_plans():
            self.put_rate_plan(plan)
        for payment in seed_payments():
            self.put_payment(payment)

    def put_customer(self, org_id: int, customer: StubCustomer) -> None:
        self.customers.setdefault(org_id, {})[customer.customer_id] = customer

    def put_invoice(self, invoice: StubInvoice) -> None:
        self.invoices[invoice.id] = invoice

    def put_rate_plan(self, plan: StubRatePlan) -> None:
        self.rate_plans[plan.rate_plan_id] = plan

    def put_payment(self, payment: StubPayment) -> None:
        self.payments[payment.id] = payment

    def put_credit_note(self, note: StubCreditNote) -> None:
        self.credit_notes[note.id] = note

    def put_refund(self, refund: StubRefund) -> None:
        self.refunds[refund.id] = refund

    def org_invoices(self, org_id: int) -> list[StubInvoice]:
        """Newest first, as metering's list endpoint answers."""
        owned = (invoice for invoice in self.invoices.values() if invoice.organization_id == org_id)
        return sorted(owned, key=lambda invoice: (invoice.created_at, invoice.id), reverse=True)

    def take_not_ready(self, invoice_id: int) -> bool:
        """True while the invoice should still look uncommitted (one read used up)."""
        remaining = self.not_ready.get(invoice_id, 0)
        if remaining <= 0:
            return False
        self.not_ready[invoice_id] = remaining - 1
        return True

    def take_failure(self, service: StubService) -> int | None:
        """The status to fail this request with, if a failure is armed for the service."""
        failure = self.failures.get(service)
        if failure is None or failure.remaining <= 0:
            return None
        failure.remaining -= 1
        return failure.status
