"""Every console screen opens in a real browser with the data an operator would see; the run
leaves a screenshot of each and the first contentful paint of each (first-paint.json)."""

from __future__ import annotations

import json

import httpx
from playwright.async_api import Browser, Page, expect

from qbo_emulator.aforo import AforoStubControl, StubCustomer
from qbo_emulator.control import EmulatorControl
from tests.console.conftest import SCREENSHOTS, Tenant, connect_by_api, sign_in, visit
from tests.tokens import make_jwt

# Form controls a screen reader could not name.
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
    && !e.getAttribute('aria-labelledby'))
  .map(e => e.name || e.id || e.outerHTML.slice(0, 80))"""


async def _customers(stubs: AforoStubControl, org: int, count: int) -> None:
    for number in range(1, count + 1):
        await stubs.put_customer(
            org,
            StubCustomer(
                customer_id=number,
                organization_id=org,
                customer_name=f"Customer {number} Ltd",
                primary_email=f"ap{number}@example.com",
                status="ACTIVE",
            ),
        )


async def test_every_screen_renders_what_an_operator_needs(
    browser: Browser,
    page: Page,
    console_url: str,
    tenant: Tenant,
    api: httpx.AsyncClient,
    stubs: AforoStubControl,
    emulator_control: EmulatorControl,
) -> None:
    org = tenant.organization_id
    await _customers(stubs, org, 6)
    realm_id = await connect_by_api(api)
    for number in (1, 2, 3):
        synced = await api.post("/api/quickbooks/sync/customer", params={"customerId": number})
        assert synced.status_code == 200, synced.text
    await emulator_control.queue_fault("http_503", realm_id=realm_id, method="POST")
    failed = await api.post("/api/quickbooks/sync/customer", params={"customerId": 4})
    assert failed.status_code >= 500

    paints: dict[str, dict[str, float]] = {}
    signed_out = await browser.new_page()
    # The first navigation of a fresh browser and server (cold) is measured apart.
    paints["sign-in (cold)"] = await visit(signed_out, f"{console_url}/console/sign-in", "sign-in")
    paints["sign-in"] = await visit(signed_out, f"{console_url}/console/sign-in", "sign-in")
    await signed_out.close()

    await sign_in(page, console_url, make_jwt(org, roles=["QBSYNC_OPERATOR"]))
    paints["organizations"] = await visit(page, f"{console_url}/console/orgs", "organizations")
    base = f"{console_url}/console/orgs/{org}"
    paints["connection"] = await visit(page, f"{base}/connection", "connection-connected")
    await expect(page.get_by_text("Healthy")).to_be_visible()

    paints["settings"] = await visit(page, f"{base}/settings", "settings-defaults")
    await expect(page.get_by_label("Deposit payments to")).to_be_visible()

    paints["records"] = await visit(page, f"{base}/records", "records-all")
    await expect(page.get_by_role("table").get_by_role("row")).to_have_count(5)  # header + 4
    await page.get_by_label("State").select_option("FAILED")
    await expect(page.get_by_role("table").get_by_role("row")).to_have_count(2)
    await expect(page).to_have_url(f"{base}/records?kind=&state=FAILED&q=")
    await page.get_by_label("State").select_option("")
    await page.get_by_label("Search").fill("CUST-2")
    await expect(page.get_by_role("table").get_by_role("row")).to_have_count(2)

    paints["record"] = await visit(page, f"{base}/records/customers/CUST-4", "record")
    await expect(page.locator("#verdict")).to_have_text("Failing")

    # Force resync of a synced customer writes it again (after confirming).
    await page.goto(f"{base}/records/customers/CUST-1")
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Force resync").click()
    await expect(page.locator("#outcome")).to_contain_text("Resynced: Success")
    await expect(page.locator(".timeline li").first).to_contain_text("Update")

    # A backfill of all six customers: the three synced are skipped, the rest created.
    await page.goto(f"{base}/work")
    await page.get_by_label("invoices").uncheck()
    await page.get_by_role("button", name="Start backfill").click()
    await expect(page.get_by_text("Backfill started")).to_be_visible()
    await expect(page.locator("#jobs").get_by_text("Done", exact=True)).to_be_visible()
    await expect(page.locator("#jobs progress")).to_have_attribute("value", "6")
    paints["work"] = await visit(page, f"{base}/work", "work")
    await expect(page.get_by_role("heading", name="Every organization")).to_be_visible()
    await expect(page.locator("#budget-state")).to_have_text("Within budget")
    await expect(page.locator("#budget-mine caption")).to_contain_text(f"Organization {org}")
    await expect(
        page.get_by_role("heading", name="RabbitMQ queues (all organizations)")
    ).to_be_visible()

    paints["activity"] = await visit(page, f"{base}/activity", "activity")
    await expect(page.locator("svg.chart rect")).not_to_have_count(0)
    await expect(page.locator(".legend")).to_contain_text("Transient: 1")

    # Keyboard first: the skip link is the first stop, and every control has a name.
    for path, loaded in (
        ("settings?inline=1", "form.settings"),
        ("records", "#records"),
        ("work", "#live"),
        ("drift", "#totals"),  # the report comes after the page
    ):
        await page.goto(f"{base}/{path}")
        await page.locator(loaded).wait_for()
        assert await page.evaluate(UNLABELLED) == [], path
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()

    (SCREENSHOTS / "first-paint.json").write_text(json.dumps(paints, indent=2) + "\n")
    assert set(paints) >= {
        "sign-in",
        "organizations",
        "connection",
        "settings",
        "records",
        "record",
        "work",
        "activity",
    }
