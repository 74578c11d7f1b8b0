"""The drift report in a real browser: what a person changed in QuickBooks shows as typed
mismatches with totals on both sides; repairs one by one and in bulk; an ignore needs a
reason; once the repairs ran, Aforo and QuickBooks agree."""

from __future__ import annotations

import asyncio

import httpx
from playwright.async_api import Locator, Page, expect

from qbo_emulator.aforo import AforoStubControl
from qbo_emulator.control import EmulatorControl
from tests.console.conftest import Tenant, connect_by_api, screenshot, sign_in
from tests.fixtures.sync import AforoData, Org

PERIOD = "from=2026-10-01&to=2026-10-31"  # the test invoices' billing month


async def _drained(api: httpx.AsyncClient) -> None:
    """Until the organization's queued work has run (the repairs are syncs)."""
    for _ in range(150):
        body = (await api.get("/api/quickbooks/pending-work")).json()
        if not body["pending"] and not body["running"]:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"work still pending: {body}")


async def test_drift_is_reported_and_repaired(
    page: Page,
    console_url: str,
    tenant: Tenant,
    api: httpx.AsyncClient,
    stubs: AforoStubControl,
    emulator_control: EmulatorControl,
) -> None:
    org = tenant.organization_id
    realm = await connect_by_api(api)
    aforo = AforoData(stubs, Org(org, realm))
    customer = await aforo.customer()
    edited, deleted, fine = [await aforo.invoice(customer, status="ISSUED") for _ in range(3)]
    never = await aforo.invoice(customer, status="ISSUED")
    ids = {}
    for invoice in (edited, deleted, fine):
        synced = await api.post("/api/quickbooks/sync/invoice", params={"invoiceId": invoice.id})
        assert synced.status_code == 200, synced.text
        ids[invoice.id] = synced.json()["quickbooksInvoiceId"]
    # A person in QuickBooks moves one due date and deletes another invoice.
    await emulator_control.person_edit(realm, "Invoice", ids[edited.id], {"DueDate": "2027-01-31"})
    await emulator_control.person_delete(realm, "Invoice", ids[deleted.id])

    await sign_in(page, console_url, tenant.token)
    await page.goto(f"{console_url}/console/orgs/{org}/drift?{PERIOD}")
    await expect(page.locator("#open-count")).to_have_text("3")
    await expect(page.locator("#totals")).to_contain_text("Invoiced")
    await screenshot(page, "drift")

    def row(invoice_id: int) -> Locator:
        return page.get_by_role("row").filter(has_text=f"invoice-{invoice_id}")

    await expect(row(edited.id)).to_contain_text("Dates differ")
    await expect(row(deleted.id)).to_contain_text("Deleted in QuickBooks")
    await expect(row(never.id)).to_contain_text("Never reached QuickBooks")

    # An ignore without a reason is refused, and says so.
    await row(never.id).get_by_text("Ignore…").click()
    await row(never.id).get_by_role("button", name="Ignore", exact=True).click()
    await expect(page.locator("#note")).to_contain_text("Refused")

    await row(edited.id).get_by_role("button", name="Write Aforo's version").click()
    await expect(page.locator("#repaired")).to_contain_text("1 repair made or queued")
    # The rest in one go: the suggested repair of each ticked row.
    await row(deleted.id).get_by_role("checkbox").check()
    await row(never.id).get_by_role("checkbox").check()
    await page.get_by_role("button", name="Make the suggested repair of the selected rows").click()
    await expect(page.locator("#repaired")).to_contain_text("2 repairs made or queued")

    await _drained(api)
    await page.reload()
    await expect(page.locator("#no-drift")).to_be_visible()
    await screenshot(page, "drift-repaired")
    live = {r.body["Id"] for r in await emulator_control.live(realm, "Invoice")}
    assert ids[edited.id] in live
    assert len(live) == 4  # the deleted one re-created and the missing one created
