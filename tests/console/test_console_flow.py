"""Sign in, connect through Intuit's (the emulator's) consent page, see a failed write with its
fix hint, retry it and see it synced: the console's main flow in a real browser."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, expect

from qbo_emulator.aforo import AforoStubControl, StubCustomer
from qbo_emulator.control import EmulatorControl
from tests.console.conftest import Tenant, screenshot, sign_in


async def test_connect_see_a_failure_retry_it_and_see_it_synced(
    page: Page,
    console_url: str,
    tenant: Tenant,
    api: httpx.AsyncClient,
    stubs: AforoStubControl,
    emulator_control: EmulatorControl,
) -> None:
    org = tenant.organization_id
    await stubs.put_customer(
        org,
        StubCustomer(
            customer_id=4242,
            organization_id=org,
            customer_name="Console Test Ltd",
            primary_email="ap@console.example",
            status="ACTIVE",
        ),
    )

    await sign_in(page, console_url, tenant.token)
    await expect(page).to_have_url(re.compile(f"/console/orgs/{org}/records$"))
    await expect(page.get_by_role("heading", name="Records")).to_be_visible()

    # Connect: Intuit's consent page opens in a new tab; the connection page follows it.
    await page.get_by_role("link", name="Connection").click()
    await expect(page.get_by_text("Not connected")).to_be_visible()
    await screenshot(page, "connection-disconnected")
    async with page.context.expect_page() as consent_info:
        await page.get_by_role("button", name="Connect QuickBooks").click()
    consent = await consent_info.value
    # qbsync's start page first: it names the organization and binds the flow to this tab.
    await expect(consent.get_by_text(f"Aforo organization {org}")).to_be_visible()
    await consent.get_by_role("link", name="Continue to QuickBooks").click()
    await consent.get_by_label("New sandbox company").check()
    await consent.get_by_role("button", name="Connect", exact=True).click()
    await expect(consent.get_by_text("QuickBooks connected")).to_be_visible()
    await consent.close()
    await expect(page.get_by_text("Healthy")).to_be_visible()
    await screenshot(page, "connection")
    realm_id = (await api.get("/api/quickbooks/status")).json()["realmId"]

    # QuickBooks fails the next write; a manual sync records the failure.
    await emulator_control.queue_fault("http_503", realm_id=realm_id, method="POST")
    failed = await api.post("/api/quickbooks/sync/customer", params={"customerId": 4242})
    assert failed.status_code >= 500, failed.text

    await page.get_by_role("link", name="Records").click()
    row = page.get_by_role("row").filter(has_text="CUST-4242")
    await expect(row.get_by_text("Failed")).to_be_visible()
    await screenshot(page, "records")

    await row.get_by_role("link", name="CUST-4242").click()
    await expect(page.get_by_role("heading", name="CUST-4242")).to_be_visible()
    await expect(page.locator("#verdict")).to_have_text("Failing")
    timeline = page.locator(".timeline li").first
    await expect(timeline.locator(".category")).to_have_text("TRANSIENT")
    await expect(timeline.locator(".hint")).to_contain_text("Fix:")
    await screenshot(page, "record-failed")

    await page.get_by_role("button", name="Retry now").click()
    await expect(page.locator("#outcome")).to_contain_text("Success")
    await expect(page.locator("#verdict")).to_have_text("Synced")
    await screenshot(page, "record-synced")
    customers = await emulator_control.live(realm_id, "Customer")
    assert [c.body["DisplayName"] for c in customers] == ["Console Test Ltd"]
