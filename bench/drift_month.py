"""``drift_month``: a scripted month in one emulated QuickBooks company, told as it happens.

One ``qbsync serve`` (API, consumers, scheduler) with Intuit's webhook configured; the
emulator delivers its webhooks to it in the CloudEvents format, with duplicates, shuffled
events and lost deliveries. October's six Aforo invoices are synced; then a person, in
QuickBooks, edits an amount, deletes an invoice, voids one, merges a customer into another,
enters a payment and types by hand the invoice whose event Aforo never delivered. qbsync
hears what the webhooks bring, a CDC sweep finds what they lost, and the drift report is
printed before and after the repairs a person would make (re-push, ignore with a reason,
relink). Targets: nothing missed (every change a person made is in the report or was
repaired by policy), the report after the repairs holds nothing open, no delivery answered
5xx. The transcript is printed and kept in ``bench/results/drift_month.json``.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bench.results import Result, Target
from bench.stack import Stack
from qbo_emulator.aforo.schemas import StubCustomer, StubInvoice, StubInvoiceLine, StubRatePlan
from qbo_emulator.webhooks.subscription import Subscription

NAME = "drift_month"
VERIFIER = "month-verifier-token"
PERIOD = {"from": "2026-10-01", "to": "2026-10-31"}


class Month:
    def __init__(self, stack: Stack, url: str, org_id: int, realm_id: str) -> None:
        self.stack, self.url, self.org_id, self.realm = stack, url, org_id, realm_id
        self.headers = {"Authorization": f"Bearer {stack.token(org_id)}"}
        self.lines: list[str] = []
        self.qbo = f"{stack.emulator_url}/sandbox/v3/company/{realm_id}"

    def say(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    async def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.stack.http.request(
            method, f"{self.url}/api/quickbooks{path}", headers=self.headers, **kwargs
        )
        response.raise_for_status()
        return json.loads(response.content, parse_float=Decimal)

    async def qbo_post(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        token = (await self.stack.emulator.issue_tokens(self.realm)).access_token
        response = await self.stack.http.post(
            f"{self.qbo}/{entity.lower()}", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        response.raise_for_status()
        found: dict[str, Any] = response.json()[entity]
        return found

    async def held(self, entity: str, qbo_id: str) -> dict[str, Any]:
        records = await self.stack.emulator.entities(self.realm, entity)
        return next(r.body for r in records if r.id == qbo_id)

    async def settle(self, timeout_s: float = 120) -> None:
        await self.stack.emulator.drain_webhooks("qbsync", timeout_s=60)
        async with asyncio.timeout(timeout_s):
            while True:
                work = await self.api("GET", "/pending-work")
                if work["pending"] == 0 and work["running"] == 0:
                    return
                await asyncio.sleep(0.5)

    async def report(self, title: str) -> dict[str, Any]:
        drift: dict[str, Any] = await self.api("GET", "/drift", params=PERIOD)
        self.say(f"--- drift report {PERIOD['from']} .. {PERIOD['to']}: {title}")
        self.say(f"{'total':<10}{'Aforo':>10}{'QuickBooks':>12}{'diff':>10}")
        for name, total in drift["totals"].items():
            self.say(
                f"{name:<10}{total['aforo']:>10}{total['quickbooks']:>12}{total['difference']:>10}"
            )
        presence = drift["presence"]
        self.say(
            f"presence: missing in QuickBooks {presence['missingInQuickbooks']}, "
            f"never sent {presence['notInQuickbooks']}, unknown to Aforo {presence['unknownToAforo']}"
        )
        self.say(
            f"{'id':>4} {'record':<16}{'qbo':>5} {'kind':<22}{'Aforo':<26}{'QuickBooks':<26}{'repair':<9}state"
        )
        for m in drift["mismatches"]:
            self.say(
                f"{m['id']:>4} {m['aforoId'] or '-':<16}{m['quickbooksId'] or '-':>5} {m['kind']:<22}"
                f"{(m['aforoValue'] or '-')[:25]:<26}{(m['quickbooksValue'] or '-')[:25]:<26}"
                f"{m['suggestedRepair']:<9}{m['state']}"
                + (f" ({m['reason']})" if m["reason"] else "")
            )
        self.say(f"open mismatches: {drift['openMismatches']}")
        return drift


def _invoice(
    org_id: int, number: int, customer_id: int, plan_id: int, status: str = "ISSUED"
) -> StubInvoice:
    invoice_id = org_id * 1000 + number
    lines = [("Platform fee", "200.00"), ("API calls (120 * 0.5)", "60.00")]
    return StubInvoice(
        id=invoice_id,
        organization_id=org_id,
        customer_id=customer_id,
        rate_plan_id=plan_id,
        invoice_number=f"OCT-{number:03d}",
        total_amount=sum((Decimal(a) for _, a in lines), Decimal(0)),
        billing_period_start=datetime(2026, 10, 1, tzinfo=UTC),
        billing_period_end=datetime(2026, 10, 31, 23, 59, tzinfo=UTC),
        status=status,
        created_at=datetime(2026, 11, 1, 0, 10, tzinfo=UTC),
        updated_at=datetime(2026, 11, 1, 0, 10, tzinfo=UTC),
        line_items=[
            StubInvoiceLine(
                id=invoice_id * 10 + n,
                line_number=n,
                description=d,
                calculation="Base",
                amount=Decimal(a),
            )
            for n, (d, a) in enumerate(lines, start=1)
        ],
    )


async def run() -> Result:
    result = Result(name=NAME)
    async with Stack(NAME) as stack:
        (org,) = await stack.connect_orgs(1)
        env = stack.env(
            per_minute=500,
            extra={
                "QBSYNC_QUICKBOOKS__WEBHOOK_VERIFIER_TOKEN": VERIFIER,
                "QBSYNC_LOG__LEVEL": "WARNING",
            },
        )
        # Reconciliation goes through no RabbitMQ queue: the run does not wait for consumers.
        _, url = await stack.start_serve(env, consumers=0)
        month = Month(stack, url, org.organization_id, org.realm_id)
        await stack.emulator.subscribe_webhooks(
            "qbsync",
            Subscription(
                url=f"{url}/api/quickbooks/webhook/intuit",
                verifier_token=VERIFIER,
                format="cloudevents",
                realm_ids=[org.realm_id],
                duplicate_rate=0.3,
                reorder_rate=0.5,
                loss_rate=0.15,
                random_seed=17,
            ),
        )
        oid = org.organization_id
        plan = StubRatePlan(rate_plan_id=oid * 10, organization_id=oid, rate_plan_name="Pro Plan")
        await stack.stubs.put_rate_plan(plan)
        acme = StubCustomer(
            customer_id=oid * 100 + 1,
            organization_id=oid,
            customer_name="Acme Corp",
            primary_email="ap@acme.example",
            status="ACTIVE",
        )
        beta = StubCustomer(
            customer_id=oid * 100 + 2,
            organization_id=oid,
            customer_name="Beta LLC",
            primary_email="ap@beta.example",
            status="ACTIVE",
        )
        for customer in (acme, beta):
            await stack.stubs.put_customer(oid, customer)
        owners = [acme, acme, beta, beta, acme, acme]
        invoices = [
            _invoice(oid, n, owners[n - 1].customer_id, plan.rate_plan_id) for n in range(1, 7)
        ]
        for invoice in invoices:
            await stack.stubs.put_invoice(invoice)
        month.say(f"=== October in organization {oid}, QuickBooks company {org.realm_id}")
        qbo_ids: dict[int, str] = {}
        for invoice in invoices[:5]:
            answer = await month.api("POST", "/sync/invoice", params={"invoiceId": invoice.id})
            qbo_ids[invoice.id] = answer["quickbooksInvoiceId"]
            month.say(
                f"synced {invoice.invoice_number} (invoice-{invoice.id}) -> QuickBooks invoice {answer['quickbooksInvoiceId']}: {answer['status']}"
            )
        month.say(
            f"{invoices[5].invoice_number} (invoice-{invoices[5].id}) is issued, but metering's event for it never arrived"
        )
        await month.settle()

        month.say("")
        month.say("=== a person works in QuickBooks")
        inv1, inv2, inv3, inv4, _, inv6 = invoices
        body = await month.held("Invoice", qbo_ids[inv1.id])
        # The emulator's control answer holds Decimals; a person's edit goes out as JSON numbers.
        lines = json.loads(
            json.dumps(
                [line for line in body["Line"] if line.get("DetailType") == "SalesItemLineDetail"],
                default=lambda d: int(d) if d == int(d) else str(d),
            )
        )
        lines[0]["Amount"] = 250
        lines[0]["SalesItemLineDetail"]["UnitPrice"] = 250
        await stack.emulator.person_edit(org.realm_id, "Invoice", qbo_ids[inv1.id], {"Line": lines})
        month.say(f"edited {inv1.invoice_number}: platform fee 200.00 -> 250.00")
        await stack.emulator.person_delete(org.realm_id, "Invoice", qbo_ids[inv2.id])
        month.say(f"deleted {inv2.invoice_number} (QuickBooks invoice {qbo_ids[inv2.id]})")
        await stack.emulator.person_void(org.realm_id, "Invoice", qbo_ids[inv3.id])
        month.say(f"voided {inv3.invoice_number}")
        beta_qbo = (await month.held("Invoice", qbo_ids[inv3.id]))["CustomerRef"]["value"]
        holdings = await month.qbo_post("Customer", {"DisplayName": "Beta Holdings"})
        await stack.emulator.merge_customers(
            org.realm_id, merged_away_id=beta_qbo, surviving_id=holdings["Id"]
        )
        month.say(f"merged customer Beta LLC ({beta_qbo}) into Beta Holdings ({holdings['Id']})")
        await month.qbo_post(
            "Payment",
            {
                "CustomerRef": {"value": holdings["Id"]},
                "TotalAmt": 100,
                "Line": [
                    {
                        "Amount": 100,
                        "LinkedTxn": [{"TxnId": qbo_ids[inv4.id], "TxnType": "Invoice"}],
                    }
                ],
            },
        )
        month.say(f"entered a payment of 100.00 against {inv4.invoice_number}")
        acme_qbo = (await month.held("Invoice", qbo_ids[inv1.id]))["CustomerRef"]["value"]
        typed = await month.qbo_post(
            "Invoice",
            {
                "DocNumber": inv6.invoice_number,
                "TxnDate": "2026-10-31",
                "CustomerRef": {"value": acme_qbo},
                "Line": [
                    {
                        "Amount": 260,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                    }
                ],
            },
        )
        month.say(
            f"typed {inv6.invoice_number} by hand as QuickBooks invoice {typed['Id']} (260.00, one line)"
        )

        await month.settle()
        deliveries = await stack.emulator.webhook_deliveries("qbsync")
        lost = sum(1 for d in deliveries if d.outcome == "lost")
        month.say(
            f"webhooks: {len(deliveries)} deliveries, {sum(1 for d in deliveries if d.duplicate)} duplicated, "
            f"{sum(1 for d in deliveries if d.reordered)} reordered, {lost} lost"
        )
        await month.api("POST", "/drift/sweep")
        await month.settle()
        month.say("a CDC sweep looked for what the lost deliveries carried")
        logs = await month.api(
            "GET", "/sync-logs", params={"aforoId": f"invoice-{inv2.id}", "limit": 10}
        )
        for entry in reversed(logs["items"] if isinstance(logs, dict) else logs):
            month.say(
                f"sync log invoice-{inv2.id}: {entry['trigger']:<8} {entry['action']:<8} {entry['status']:<8} QuickBooks {entry.get('quickbooksId')}"
            )
        survivor = await month.api("GET", "/mappings", params={"entityType": "CUSTOMER"})
        month.say(
            f"mappings of customers now: {[(m['aforoId'], m['quickbooksId']) for m in (survivor['items'] if isinstance(survivor, dict) else survivor)]}"
        )

        month.say("")
        before = await month.report("before repair")
        by_record: dict[tuple[str | None, str], int] = {
            (m["aforoId"], m["kind"]): m["id"] for m in before["mismatches"]
        }
        unknown = next((m for m in before["mismatches"] if m["kind"] == "UNKNOWN_TO_AFORO"), None)
        repairs: list[dict[str, Any]] = []
        for (aforo_id, kind), mismatch_id in by_record.items():
            if aforo_id == f"invoice-{inv1.id}":
                repairs.append({"mismatchId": mismatch_id, "action": "REPUSH"})
            elif kind == "STATUS":
                repairs.append(
                    {
                        "mismatchId": mismatch_id,
                        "action": "IGNORE",
                        "reason": "the customer cancelled; void it in Aforo next",
                    }
                )
        if unknown is not None:
            repairs.append(
                {"mismatchId": unknown["id"], "action": "RELINK", "aforoId": f"invoice-{inv6.id}"}
            )
        month.say("")
        month.say("=== repairs")
        answer = await month.api("POST", "/drift/repairs", json={"repairs": repairs})
        for item in answer["results"]:
            month.say(
                f"mismatch {item['mismatchId']}: {item['action']} -> {item['outcome']}: {item['message']}"
            )
        await month.settle()
        month.say("")
        after = await month.report("after repair")

        kinds_before = {m["kind"] for m in before["mismatches"]}
        wanted = {"AMOUNT", "LINES", "STATUS", "UNKNOWN_TO_AFORO", "NOT_IN_QUICKBOOKS"}
        statuses = [d.status for d in deliveries if d.status is not None]
        result.targets = [
            Target(
                metric="changes_found",
                value=len(wanted & kinds_before),
                target=f"{len(wanted)} (edit, void, hand-typed, never sent)",
                met=wanted <= kinds_before,
            ),
            Target(
                metric="deleted_invoice_recreated",
                value=int(before["presence"]["missingInQuickbooks"] == 0),
                target="1 (default policy: re-created and logged before the report)",
                met=before["presence"]["missingInQuickbooks"] == 0,
            ),
            Target(
                metric="open_after_repair",
                value=after["openMismatches"],
                target="0",
                met=after["openMismatches"] == 0,
            ),
            Target.none_of("deliveries_5xx", sum(1 for s in statuses if s >= 500)),
        ]
        result.headline = (
            f"{len(before['mismatches'])} mismatches before repair, {after['openMismatches']} open after; "
            f"{lost} of {len(deliveries)} deliveries lost and caught by CDC"
        )
        result.data = {"transcript": month.lines, "before": before, "after": after}
    return result
