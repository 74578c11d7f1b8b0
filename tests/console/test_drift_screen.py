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


async def _typed_by_hand(emulator_control: EmulatorControl, realm: str) -> str:
    """An invoice someone typed into QuickBooks themselves; its id."""
    token = (await emulator_control.issue_tokens(realm)).access_token
    qbo = f"{emulator_control.base_url}/sandbox/v3/company/{realm}"
    headers = {"Authorization": f"Bearer {token}"}
    made = await emulator_control.http.post(
        f"{qbo}/customer", json={"DisplayName": "Typed By Hand"}, headers=headers
    )
    typed = await emulator_control.http.post(
        f"{qbo}/invoice",
        json={
            "CustomerRef": {"value": made.json()["Customer"]["Id"]},
            "TxnDate": "2026-11-30",  # outside the report's month: not "only in QuickBooks"
            "Line": [
                {
                    "Amount": 210,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        },
        headers=headers,
    )
    typed_id: str = typed.json()["Invoice"]["Id"]
    return typed_id


async def test_a_drifted_record_is_found_in_records_and_relinked_from_its_page(
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
    invoice = await aforo.invoice(await aforo.customer(), status="ISSUED")
    synced = await api.post("/api/quickbooks/sync/invoice", params={"invoiceId": invoice.id})
    qbo_id = synced.json()["quickbooksInvoiceId"]
    await emulator_control.person_delete(realm, "Invoice", qbo_id)
    typed_id = await _typed_by_hand(emulator_control, realm)
    report = await api.get(
        "/api/quickbooks/drift", params=dict(p.split("=") for p in PERIOD.split("&"))
    )
    assert report.json()["openMismatches"] == 1

    await sign_in(page, console_url, tenant.token)
    await page.get_by_label("State").select_option("DRIFT")
    row = page.get_by_role("row").filter(has_text=f"invoice-{invoice.id}")
    await expect(row.get_by_text("Drift", exact=True)).to_be_visible()
    await row.get_by_role("link", name=f"invoice-{invoice.id}").click()
    await expect(page.locator(".drift-repair")).to_contain_text("Deleted in QuickBooks")

    # Someone had typed it into QuickBooks by hand: link the record to that one.
    await page.get_by_text("Relink to another QuickBooks record…").click()
    await page.get_by_label("QuickBooks invoice id").fill(typed_id)
    await screenshot(page, "record-drift-relink")
    await page.get_by_role("button", name="Relink").click()
    await expect(page.get_by_text("The repair was made or queued")).to_be_visible()
    await expect(page.locator(".drift-repair")).to_have_count(0)
    await expect(page.locator(".timeline li").first).to_contain_text("Relink")
    mappings = (
        await api.get("/api/quickbooks/mappings", params={"aforoId": f"invoice-{invoice.id}"})
    ).json()
    assert [m["quickbooksId"] for m in mappings["items"]] == [typed_id]
