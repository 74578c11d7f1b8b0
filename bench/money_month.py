"""``money_month``: a month of one organization's money life run through ``qbsync serve``
against the emulator, as the Aforo services would drive it (events on RabbitMQ, the settings
API over HTTP): invoices issued, a draft that waits, one edited, one voided, a credit note, a
partial payment, a refund, a failed payment; US sales tax on one company and a tax code per
line on a non-US one. At the end QuickBooks' totals and open balance are set against Aforo's.

``python -m bench money_month`` prints the story and writes bench/results/money_month.json
(and money_month.md, the story as text); docs/money-flow.md shows a run.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from bench.amqp import BenchPublisher, Published
from bench.results import RESULTS_DIR, Result, Target
from bench.stack import Org, Stack
from qbo_emulator.aforo.schemas import (
    StubCreditNote,
    StubCreditNoteLine,
    StubCustomer,
    StubInvoice,
    StubInvoiceLine,
    StubPayment,
    StubRatePlan,
    StubRefund,
)

NAME = "money_month"
D = Decimal
CENT = D("0.01")
TERMINAL = ("SUCCESS", "SKIPPED", "FAILED")


def _at(day: int) -> datetime:
    return datetime(2026, 11, day, 9, 0, tzinfo=UTC)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


@dataclass
class Ledger:
    """Aforo's side of the month, kept as the story goes: what it invoiced, credited,
    received and refunded, and what each invoice still owes."""

    invoiced: dict[str, Decimal] = field(default_factory=dict)  # number -> total with tax
    voided: set[str] = field(default_factory=set)
    credited: Decimal = field(default_factory=Decimal)
    received: Decimal = field(default_factory=Decimal)
    refunded: Decimal = field(default_factory=Decimal)
    owed: dict[str, Decimal] = field(default_factory=dict)

    def open_balance(self) -> Decimal:
        return sum((v for k, v in self.owed.items() if k not in self.voided), D(0))


@dataclass
class World:
    stack: Stack
    api: httpx.AsyncClient
    publisher: BenchPublisher
    lines: list[str] = field(default_factory=list)
    seq: int = 0

    def say(self, text: str) -> None:
        print(text, flush=True)
        self.lines.append(text)

    async def publish(
        self, org: Org, routing_key: str, body: dict[str, Any], entity: str, aforo_id: str
    ) -> dict[str, Any]:
        """Publish as Spring does and wait for the sync-log row the event leaves."""
        self.seq += 1
        correlation = f"{self.stack.tag}-m{self.seq}"
        record = Published(
            correlation_id=correlation,
            routing_key=routing_key,
            entity_type=entity,
            aforo_id=aforo_id,
            organization_id=org.organization_id,
            at=0.0,
        )
        payload = {"organizationId": org.organization_id, **body}
        await self.publisher.publish(record, json.dumps(payload).encode())
        return await self.outcome(correlation, entity, aforo_id)

    async def outcome(self, correlation: str, entity: str, aforo_id: str) -> dict[str, Any]:
        connection = await self.stack.db()
        try:
            for _ in range(600):
                row = await connection.fetchrow(
                    """
                    SELECT status, action, quickbooks_id, error_message FROM quickbooks_sync_log
                    WHERE correlation_id = $1 AND entity_type = $2 AND aforo_id = $3
                      AND status = ANY($4::text[])
                    ORDER BY id DESC LIMIT 1
                    """,
                    correlation,
                    entity,
                    aforo_id,
                    list(TERMINAL),
                )
                if row is not None:
                    return dict(row)
                await asyncio.sleep(0.2)
        finally:
            await connection.close()
        raise TimeoutError(f"{routing(entity)} {aforo_id}: no outcome in 120 s")

    def show(self, what: str, outcome: dict[str, Any]) -> None:
        note = f" — {outcome['error_message']}" if outcome.get("error_message") else ""
        qbo = f" → QuickBooks {outcome['quickbooks_id']}" if outcome.get("quickbooks_id") else ""
        self.say(f"  {what}: {outcome['status']} {outcome['action']}{qbo}{note}")


def routing(entity: str) -> str:
    return entity.lower()


def invoice(
    org: Org,
    invoice_id: int,
    number: str,
    customer: StubCustomer,
    plan: StubRatePlan,
    lines: list[tuple[str, str]],
    *,
    tax_rate: Decimal | None,
    day: int,
    status: str = "ISSUED",
    tax_amount: Decimal | None = None,
) -> StubInvoice:
    items = [
        StubInvoiceLine(
            id=invoice_id * 10 + n,
            line_number=n,
            description=d,
            calculation="Base",
            amount=D(a),
            tax_rate=tax_rate,
        )
        for n, (d, a) in enumerate(lines, start=1)
    ]
    net = sum((item.amount for item in items), D(0))
    tax = tax_amount if tax_amount is not None else cents(net * (tax_rate or D(0)) / 100)
    return StubInvoice(
        id=invoice_id,
        organization_id=org.organization_id,
        customer_id=customer.customer_id,
        rate_plan_id=plan.rate_plan_id,
        invoice_number=number,
        total_amount=net + tax,
        billing_period_start=_at(1),
        billing_period_end=_at(day),
        status=status,
        created_at=_at(day),
        updated_at=_at(day),
        line_items=items,
        currency="USD",
        tax_amount=tax if tax_rate is not None else None,
        tax_rate=tax_rate,
    )


async def _us_company(world: World, org: Org, ledger: Ledger) -> None:
    stack, say = world.stack, world.say
    realm = org.realm_id
    await stack.emulator.person_edit(
        realm, "Preferences", "1", {"TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": True}}
    )
    headers = {"Authorization": f"Bearer {stack.token(org.organization_id)}"}
    choices = (await world.api.get("/api/quickbooks/settings/choices", headers=headers)).json()
    visa = next(m["id"] for m in choices["paymentMethods"] if m["name"] == "Visa")
    put = await world.api.put(
        "/api/quickbooks/settings",
        json={"draftInvoices": "wait", "paymentMethodIds": {"card": visa}},
        headers=headers,
    )
    say(
        f"Settings (PUT /api/quickbooks/settings): changed {put.json().get('changed')}; the "
        f"company: tax {choices['company']['taxMode']} (automated "
        f"{choices['company']['automatedSalesTax']}), credits auto-applied "
        f"{choices['company']['autoApplyCredit']}"
    )
    customer = StubCustomer(
        customer_id=org.organization_id * 10 + 1,
        organization_id=org.organization_id,
        customer_name="Globex Corporation",
        primary_email="ap@globex.example",
        status="ACTIVE",
    )
    plan = StubRatePlan(
        rate_plan_id=org.organization_id * 10 + 2,
        organization_id=org.organization_id,
        rate_plan_name="Growth Plan",
    )
    await stack.stubs.put_customer(org.organization_id, customer)
    await stack.stubs.put_rate_plan(plan)
    base = org.organization_id * 100
    rate = D("8.5")
    inv1 = invoice(
        org,
        base + 1,
        "NOV-1001",
        customer,
        plan,
        [("Flat fee", "200.00"), ("Overage 20 x 0.50", "10.00")],
        tax_rate=rate,
        day=3,
    )
    inv2 = invoice(
        org, base + 2, "NOV-1002", customer, plan, [("API calls", "120.00")], tax_rate=rate, day=5
    )
    inv3 = invoice(
        org,
        base + 3,
        "NOV-1003",
        customer,
        plan,
        [("Seats", "90.00")],
        tax_rate=rate,
        day=7,
        status="DRAFT",
    )
    inv4 = invoice(
        org, base + 4, "NOV-1004", customer, plan, [("Setup fee", "50.00")], tax_rate=rate, day=8
    )

    async def issue(inv: StubInvoice, routing_key: str = "invoice.created") -> dict[str, Any]:
        await stack.stubs.put_invoice(inv)
        return await world.publish(
            org,
            routing_key,
            {"invoiceId": inv.id, "invoiceNumber": inv.invoice_number},
            "INVOICE",
            f"invoice-{inv.id}",
        )

    say(
        "Nov 3-8 — metering issues four invoices (Aforo computes 8.5 % tax; NOV-1003 is still a DRAFT):"
    )
    for inv in (inv1, inv2, inv3, inv4):
        world.show(f"{inv.invoice_number} {inv.total_amount} ({inv.status})", await issue(inv))
        if inv.status != "DRAFT":
            ledger.invoiced[inv.invoice_number] = inv.total_amount
            ledger.owed[inv.invoice_number] = inv.total_amount

    say("Nov 10 — NOV-1003 is issued (invoice.updated):")
    inv3 = inv3.model_copy(update={"status": "ISSUED"})
    world.show("NOV-1003", await issue(inv3, "invoice.updated"))
    ledger.invoiced[inv3.invoice_number] = ledger.owed[inv3.invoice_number] = inv3.total_amount

    say("Nov 11 — NOV-1002 is edited: 120.00 of API calls become 150.00 (invoice.updated):")
    inv2 = invoice(
        org, base + 2, "NOV-1002", customer, plan, [("API calls", "150.00")], tax_rate=rate, day=5
    )
    world.show(f"NOV-1002 now {inv2.total_amount}", await issue(inv2, "invoice.updated"))
    ledger.invoiced[inv2.invoice_number] = ledger.owed[inv2.invoice_number] = inv2.total_amount

    say("Nov 12 — NOV-1004 was a mistake: voided (invoice.voided):")
    inv4 = inv4.model_copy(update={"status": "VOID"})
    world.show("NOV-1004", await issue(inv4, "invoice.voided"))
    ledger.voided.add(inv4.invoice_number)
    ledger.invoiced.pop(inv4.invoice_number)

    say("Nov 14 — a credit note of 25.00 for NOV-1001 (an outage; credit_note.issued):")
    note = StubCreditNote(
        id=base + 11,
        organization_id=org.organization_id,
        customer_id=customer.customer_id,
        invoice_id=inv1.id,
        credit_note_number="CN-2001",
        total_amount=D("25.00"),
        reason="outage on Nov 2",
        issued_at=_at(14),
        line_items=[
            StubCreditNoteLine(
                line_number=1, description="Outage credit", amount=D("25.00"), tax_rate=D(0)
            )
        ],
    )
    await stack.stubs.put_credit_note(note)
    world.show(
        "CN-2001",
        await world.publish(
            org,
            "credit_note.issued",
            {"creditNoteId": note.id},
            "CREDITMEMO",
            f"credit-note-{note.id}",
        ),
    )
    ledger.credited += note.total_amount
    ledger.owed[inv1.invoice_number] -= note.total_amount

    async def pay(payment: StubPayment) -> dict[str, Any]:
        await stack.stubs.put_payment(payment)
        return await world.publish(
            org,
            "payment.received",
            {"paymentId": payment.id, "invoiceId": payment.invoice_id},
            "PAYMENT",
            f"payment-{payment.id}",
        )

    def payment(pid: str, inv: StubInvoice, amount: Decimal, day: int) -> StubPayment:
        return StubPayment(
            id=pid,
            organization_id=org.organization_id,
            customer_id=customer.customer_id,
            invoice_id=inv.id,
            amount=amount,
            payment_method="card",
            paid_at=_at(day),
            reference=pid,
        )

    say("Nov 18 — a partial payment of 100.00 on NOV-1001, NOV-1002 paid in full:")
    p1 = payment(f"PAY-{base}-1", inv1, D("100.00"), 18)
    p2 = payment(f"PAY-{base}-2", inv2, inv2.total_amount, 18)
    for p in (p1, p2):
        world.show(f"{p.id} {p.amount}", await pay(p))
        ledger.received += p.amount
        ledger.owed[next(i.invoice_number for i in (inv1, inv2) if i.id == p.invoice_id)] -= (
            p.amount
        )

    say("Nov 20 — 30.00 of the NOV-1002 payment is refunded (payment.refunded):")
    refund = StubRefund(
        id=f"RE-{base}-1",
        organization_id=org.organization_id,
        payment_id=p2.id,
        invoice_id=inv2.id,
        customer_id=customer.customer_id,
        amount=D("30.00"),
        refunded_at=_at(20),
        reason="goodwill",
        reference=f"RE-{base}-1",
    )
    await stack.stubs.put_refund(refund)
    world.show(
        f"{refund.id} {refund.amount}",
        await world.publish(
            org,
            "payment.refunded",
            {"refundId": refund.id, "paymentId": p2.id},
            "REFUND",
            f"refund-{refund.id}",
        ),
    )
    ledger.refunded += refund.amount

    say("Nov 25 — a card payment of NOV-1003 arrives, then fails (payment.failed):")
    p3 = payment(f"PAY-{base}-3", inv3, inv3.total_amount, 25)
    world.show(f"{p3.id} {p3.amount}", await pay(p3))
    world.show(
        f"{p3.id} failed",
        await world.publish(
            org,
            "payment.failed",
            {"paymentId": p3.id, "reason": "card declined"},
            "PAYMENT",
            f"payment-{p3.id}",
        ),
    )


async def _non_us_company(world: World, org: Org, ledger: Ledger) -> None:
    stack, say = world.stack, world.say
    await stack.emulator.person_edit(
        org.realm_id, "Preferences", "1", {"TaxPrefs": {"UsingSalesTax": True}}
    )
    headers = {"Authorization": f"Bearer {stack.token(org.organization_id)}"}
    choices = (await world.api.get("/api/quickbooks/settings/choices", headers=headers)).json()
    code = choices["taxCodes"][0]
    put = await world.api.put(
        "/api/quickbooks/settings",
        json={"taxCodeIds": {str(code["rate"]): code["id"]}},
        headers=headers,
    )
    say(
        f"Settings: tax mode {choices['company']['taxMode']}; Aforo's {code['rate']} % rate mapped to "
        f"QuickBooks tax code {code['id']} ({code['name']}): {put.json().get('changed')}"
    )
    customer = StubCustomer(
        customer_id=org.organization_id * 10 + 1,
        organization_id=org.organization_id,
        customer_name="Initech Ltd",
        status="ACTIVE",
    )
    plan = StubRatePlan(
        rate_plan_id=org.organization_id * 10 + 2,
        organization_id=org.organization_id,
        rate_plan_name="Scale Plan",
    )
    await stack.stubs.put_customer(org.organization_id, customer)
    await stack.stubs.put_rate_plan(plan)
    inv = invoice(
        org,
        org.organization_id * 100 + 1,
        "UK-3001",
        customer,
        plan,
        [("Platform fee", "400.00")],
        tax_rate=D(code["rate"]),
        day=4,
    )
    await stack.stubs.put_invoice(inv)
    outcome = await world.publish(
        org, "invoice.created", {"invoiceId": inv.id}, "INVOICE", f"invoice-{inv.id}"
    )
    world.show(f"UK-3001 {inv.total_amount} (tax {inv.tax_amount} at {code['rate']} %)", outcome)
    ledger.invoiced[inv.invoice_number] = ledger.owed[inv.invoice_number] = inv.total_amount


async def holdings(stack: Stack, realm: str) -> dict[str, Decimal]:
    """What QuickBooks holds at the end, from the emulator's own records."""

    def total(records: list[Any], key: str = "TotalAmt") -> Decimal:
        return sum((D(str(r.body.get(key) or 0)) for r in records), D(0))

    invoices = await stack.emulator.entities(realm, "Invoice")
    live_invoices = [r for r in invoices if r.state == "active"]
    payments = [
        r
        for r in await stack.emulator.live(realm, "Payment")
        if D(str(r.body.get("TotalAmt") or 0)) > 0
    ]
    memos = await stack.emulator.live(realm, "CreditMemo")
    refunds = await stack.emulator.live(realm, "RefundReceipt")
    customers = await stack.emulator.live(realm, "Customer")
    return {
        "invoiced": total(live_invoices),
        "tax": sum(
            (
                D(str((r.body.get("TxnTaxDetail") or {}).get("TotalTax") or 0))
                for r in live_invoices
            ),
            D(0),
        ),
        "voided_invoices": D(sum(1 for r in invoices if r.state == "voided")),
        "credited": total(memos),
        "received": total(payments),
        "refunded": total(refunds),
        "open_balance": total(live_invoices, "Balance"),
        "customer_balance": total(customers, "Balance"),
    }


async def run() -> Result:
    async with Stack(NAME) as stack:
        env = stack.env(per_minute=500, in_flight=10)
        _, url = await stack.start_serve(env)
        [us_org] = await stack.connect_orgs(1, first_id=7001)
        [gb_org] = await stack.connect_orgs(1, first_id=7101, country="GB")
        async with (
            httpx.AsyncClient(base_url=url, timeout=60) as api,
            BenchPublisher(stack.amqp) as publisher,
        ):
            world = World(stack, api, publisher)
            us, gb = Ledger(), Ledger()
            world.say(
                f"== Organization {us_org.organization_id}: a US company with automated sales tax =="
            )
            await _us_company(world, us_org, us)
            world.say(
                f"== Organization {gb_org.organization_id}: a UK company, a tax code per line =="
            )
            await _non_us_company(world, gb_org, gb)
            results: dict[str, Any] = {}
            targets: list[Target] = []
            for label, org, ledger in (("US", us_org, us), ("UK", gb_org, gb)):
                held = await holdings(stack, org.realm_id)
                aforo = {
                    "invoiced": sum(ledger.invoiced.values(), D(0)),
                    "credited": ledger.credited,
                    "received": ledger.received,
                    "refunded": ledger.refunded,
                    "open_balance": ledger.open_balance(),
                }
                world.say(f"== End of November, {label} company: Aforo vs QuickBooks ==")
                world.say(f"  {'':<14}{'Aforo':>10}{'QuickBooks':>12}")
                for key, value in aforo.items():
                    mark = "" if cents(value) == cents(held[key]) else "   <- differs"
                    world.say(f"  {key:<14}{cents(value):>10}{cents(held[key]):>12}{mark}")
                    targets.append(
                        Target(
                            metric=f"{label}_{key}",
                            value=float(held[key]),
                            target=str(cents(value)),
                            met=cents(value) == cents(held[key]),
                        )
                    )
                world.say(
                    f"  QuickBooks also holds: tax {cents(held['tax'])}, "
                    f"{int(held['voided_invoices'])} voided invoice(s), customer balance "
                    f"{cents(held['customer_balance'])} (open invoices less unapplied credit)"
                )
                results[label] = {
                    "aforo": {k: str(v) for k, v in aforo.items()},
                    "quickbooks": {k: str(v) for k, v in held.items()},
                }
        story = "\n".join(world.lines)
    (RESULTS_DIR / f"{NAME}.md").write_text(story + "\n", encoding="utf-8")
    met = all(t.met for t in targets)
    return Result(
        name=NAME,
        headline=(
            "a month of one organization: QuickBooks' totals and open balance "
            + ("equal Aforo's" if met else "DIFFER from Aforo's")
        ),
        targets=targets,
        data={"companies": results, "story": world.lines},
    )
