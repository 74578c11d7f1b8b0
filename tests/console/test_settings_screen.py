"""The sync settings editor in a real browser: choices from the company's own lists, a saved
change in the log, and a choice the company refuses shown by its field with nothing saved."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from tests.console.conftest import Tenant, connect_by_api, screenshot, sign_in

SETTINGS = "/api/quickbooks/settings"


async def test_settings_are_chosen_from_the_company_saved_and_refused_by_field(
    page: Page, console_url: str, tenant: Tenant, api: httpx.AsyncClient
) -> None:
    org = tenant.organization_id
    await sign_in(page, console_url, tenant.token)
    await page.get_by_role("link", name="Settings").click()
    await expect(page.get_by_text("QuickBooks is not connected")).to_be_visible()

    await connect_by_api(api)
    choices = (await api.get(f"{SETTINGS}/choices")).json()
    bank = next(a for a in choices["depositAccounts"] if a["type"] == "Bank")
    visa = next(m for m in choices["paymentMethods"] if m["name"] == "Visa")
    [california] = choices["taxCodes"]

    await page.reload()
    await expect(page.get_by_role("heading", name="Sync settings")).to_be_visible()
    await page.get_by_label("Deposit payments to").select_option(bank["id"])
    await page.get_by_label("Aforo payment method, row 1").fill("card")
    await page.get_by_label("Payment method per Aforo method, row 1").select_option(visa["id"])
    await page.get_by_label("Wait until they are issued").check()
    await screenshot(page, "settings")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.locator("#saved")).to_contain_text(
        "Saved: depositAccountId, draftInvoices, paymentMethodIds"
    )
    await expect(page.get_by_label("Deposit payments to")).to_have_value(bank["id"])
    await expect(page.get_by_role("link", name="read them again")).to_be_visible()
    changes = page.get_by_role("table").filter(has_text="Who").get_by_role("row")
    await expect(changes).to_have_count(2)  # header and the one change
    saved = (await api.get(SETTINGS)).json()["settings"]
    assert saved["paymentMethodIds"] == {"card": visa["id"]}
    assert saved["draftInvoices"] == "wait"

    # A US company without sales tax takes no tax code per rate: refused, by its field.
    await page.get_by_label("Aforo tax rate (%), row 1").fill("20")
    await page.get_by_label("Tax code per tax rate, row 1").select_option(california["id"])
    await page.get_by_label("Never: leave them as open credit").check()
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.locator("#refused")).to_contain_text("Not saved")
    await expect(page.locator("#taxCodeIds-error")).to_be_visible()
    await expect(page.get_by_label("Never: leave them as open credit")).to_be_checked()
    await screenshot(page, "settings-refused")
    after = (await api.get(SETTINGS)).json()["settings"]
    assert (after["taxCodeIds"], after["applyCredits"]) == ({}, "company")
    assert org == (await api.get(SETTINGS)).json()["organizationId"]
