"""Writing without reading first: new records cost no QuickBooks read; records already in
QuickBooks are adopted after a duplicate fault, or from a bulk index without any per-record read."""

from __future__ import annotations

import asyncio

from qbsync.quickbooks.schemas import EmailAddress
from qbsync.quickbooks.schemas.names import Customer
from qbsync.sync.adoption import adopting_from, build_index
from qbsync.sync.engine import sync
from qbsync.sync.models import SyncAction
from tests.quickbooks.emulated import invoice_for


async def _requests_since(emulator_control, realm_id: str, start: int) -> list[str]:
    log = (await emulator_control.requests(realm_id))[start:]
    return [f"{entry.method} {entry.path.rsplit('/', 1)[-1]}" for entry in log]


def _reads(requests: list[str]) -> list[str]:
    return [r for r in requests if r.startswith("GET") or r.endswith(" query")]


class TestCreateFirst:
    async def test_new_customers_and_invoices_are_written_without_a_read(
        self, run, aforo, org, emulator_control
    ) -> None:
        customer = await aforo.customer(customer_name="Vandelay Industries")
        plan = await aforo.rate_plan("Importer Plan")
        first = await aforo.invoice(customer, rate_plan_id=plan.rate_plan_id)
        second = await aforo.invoice(customer, rate_plan_id=plan.rate_plan_id)
        org_id = org.organization_id
        await run(sync, kind="invoice", organization_id=org_id, aforo_id=first.id)

        start = len(await emulator_control.requests(org.realm_id))
        other = await aforo.customer(customer_name="Kramerica")
        c = await run(sync, kind="customer", organization_id=org_id, aforo_id=other.customer_id)
        i = await run(sync, kind="invoice", organization_id=org_id, aforo_id=second.id)
        assert [c.action, i.action] == [SyncAction.CREATE, SyncAction.CREATE]
        assert await _requests_since(emulator_control, org.realm_id, start) == [
            "POST customer",
            "POST invoice",
        ]

    async def test_a_plans_first_invoices_at_once_make_its_item_once(
        self, run, aforo, org, emulator_control
    ) -> None:
        plan = await aforo.rate_plan("Agency Plan")
        invoices = [
            await aforo.invoice(
                await aforo.customer(customer_name=f"Sterling Cooper {n}"),
                rate_plan_id=plan.rate_plan_id,
            )
            for n in range(3)
        ]
        org_id = org.organization_id
        start = len(await emulator_control.requests(org.realm_id))
        # A month-end burst: each invoice finds the plan's item unmapped and waits for its
        # lock while the first one makes it.
        results = await asyncio.gather(
            *(run(sync, kind="invoice", organization_id=org_id, aforo_id=i.id) for i in invoices)
        )
        assert [r.action for r in results] == [SyncAction.CREATE] * 3
        requests = await _requests_since(emulator_control, org.realm_id, start)
        assert requests.count("POST item") == 1
        queries = [r for r in requests if r.endswith(" query")]
        assert queries == ["POST query"], "the income account, looked up once"

    async def test_an_invoice_already_holding_our_number_is_adopted_after_6140(
        self, run, aforo, org, emulator_control, resources
    ) -> None:
        customer = await aforo.customer(customer_name="Pendant Publishing")
        invoice = await aforo.invoice(customer)
        org_id = org.organization_id
        c = await run(sync, kind="customer", organization_id=org_id, aforo_id=customer.customer_id)
        qbo = resources.quickbooks.client(organization_id=org_id, realm_id=org.realm_id)
        items = await emulator_control.live(org.realm_id, "Item")
        item_id = next(r.id for r in items if r.body["Type"] == "Service")
        earlier = invoice_for(c.quickbooks_id, item_id, invoice.invoice_number)
        before = await qbo.create(earlier, request_id="entered-by-the-earlier-service")

        start = len(await emulator_control.requests(org.realm_id))
        result = await run(sync, kind="invoice", organization_id=org_id, aforo_id=invoice.id)
        assert result.action == SyncAction.LINK
        assert result.quickbooks_id == before.id
        requests = await _requests_since(emulator_control, org.realm_id, start)
        refused = requests.index("POST invoice")
        # The item's income account is looked up once per company (creating the item);
        # the invoice itself costs one read, after the duplicate fault.
        assert _reads(requests[refused:]) == ["POST query"]
        assert len(await emulator_control.live(org.realm_id, "Invoice")) == 1


class TestBulkIndex:
    async def test_a_page_is_adopted_or_created_with_one_read_per_kind(
        self, run, aforo, org, emulator_control, resources
    ) -> None:
        org_id = org.organization_id
        qbo = resources.quickbooks.client(organization_id=org_id, realm_id=org.realm_id)
        hooli = await aforo.customer(customer_name="Hooli", primary_email="ap@hooli.example")
        fresh = [await aforo.customer(customer_name=f"Fresh {n}") for n in range(3)]
        existing = await qbo.create(
            Customer(
                display_name="Hooli", primary_email_addr=EmailAddress(address="ap@hooli.example")
            ),
            request_id="hooli-by-hand",
        )
        # A name taken by somebody else: the index sends that customer to its suffixed name.
        await qbo.create(Customer(display_name="Fresh 0"), request_id="someone-else")

        start = len(await emulator_control.requests(org.realm_id))
        names = ["Hooli", *(f"Fresh {n}" for n in range(3))]
        names += [f"Fresh 0 (CUST-{fresh[0].customer_id})"]
        index = await build_index(qbo, names=names, doc_numbers=["INV-NONE-1"])
        assert index.reads == 2
        with adopting_from(index):
            results = [
                await run(sync, kind="customer", organization_id=org_id, aforo_id=c.customer_id)
                for c in (hooli, *fresh)
            ]
        assert [r.action for r in results] == [SyncAction.LINK] + [SyncAction.CREATE] * 3
        assert results[0].quickbooks_id == existing.id
        requests = await _requests_since(emulator_control, org.realm_id, start)
        assert _reads(requests) == ["POST query", "POST query"], "the index's reads only"
        assert "POST customer" in requests
        names_held = sorted(
            r.body["DisplayName"] for r in await emulator_control.live(org.realm_id, "Customer")
        )
        assert names_held == sorted(
            ["Hooli", "Fresh 0", f"Fresh 0 (CUST-{fresh[0].customer_id})", "Fresh 1", "Fresh 2"]
        )

    async def test_invoices_in_the_index_are_adopted_without_a_create(
        self, run, aforo, org, emulator_control, resources
    ) -> None:
        org_id = org.organization_id
        customer = await aforo.customer(customer_name="Monks Diner")
        invoice = await aforo.invoice(customer)
        earlier = await aforo.invoice(customer)
        c = await run(sync, kind="customer", organization_id=org_id, aforo_id=customer.customer_id)
        # The items exist by now: what follows is the invoice's own cost.
        await run(sync, kind="invoice", organization_id=org_id, aforo_id=earlier.id)
        qbo = resources.quickbooks.client(organization_id=org_id, realm_id=org.realm_id)
        items = await emulator_control.live(org.realm_id, "Item")
        item_id = next(r.id for r in items if r.body["Type"] == "Service")
        before = await qbo.create(
            invoice_for(c.quickbooks_id, item_id, invoice.invoice_number), request_id="by-hand-1"
        )
        index = await build_index(qbo, doc_numbers=[invoice.invoice_number])
        start = len(await emulator_control.requests(org.realm_id))
        with adopting_from(index):
            result = await run(sync, kind="invoice", organization_id=org_id, aforo_id=invoice.id)
        assert result.action == SyncAction.LINK
        assert result.quickbooks_id == before.id
        requests = await _requests_since(emulator_control, org.realm_id, start)
        assert _reads(requests) == []
        assert requests.count("POST invoice") == 1, "the adopting update, no create"
