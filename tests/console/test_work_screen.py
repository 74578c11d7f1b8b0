"""The Work screen during a run: what waits per organization, the run's progress and ETA,
queue depth and realm utilisation drawn as they change, in a real browser."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbo_emulator.aforo import AforoStubControl, StubCustomer
from qbo_emulator.control import EmulatorControl
from qbsync.scheduler import repository
from qbsync.scheduler.models import Priority
from tests.console.conftest import Tenant, connect_by_api, screenshot, serve_console, sign_in
from tests.scheduler.conftest import work
from tests.tokens import make_jwt

RECORDS = 20


@pytest.fixture(scope="module")
def console_url(database_url: str, emulator: str) -> Iterator[str]:
    """A realm paced at 4 requests a second, so a run of 20 customers lasts long enough to
    be watched; samples every half second, so the charts fill while it runs."""
    with serve_console(
        database_url,
        emulator,
        quickbooks={"requests_per_minute": 240},
        console={"trend_sample_s": 0.5},
    ) as base_url:
        yield base_url


async def test_a_run_is_watched_from_waiting_to_done(
    page: Page,
    console_url: str,
    tenant: Tenant,
    api: httpx.AsyncClient,
    stubs: AforoStubControl,
    emulator_control: EmulatorControl,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    org = tenant.organization_id
    for number in range(1, RECORDS + 1):
        await stubs.put_customer(
            org,
            StubCustomer(
                customer_id=number,
                organization_id=org,
                customer_name=f"Month End {number} Ltd",
                primary_email=f"ap{number}@example.com",
                status="ACTIVE",
            ),
        )
    realm_id = await connect_by_api(api)
    await sign_in(page, console_url, make_jwt(org, roles=["QBSYNC_OPERATOR"]))

    # Aforo's events for the organization's records, as the consumers enqueue them.
    async with sessionmaker.begin() as session:
        for number in range(1, RECORDS + 1):
            await repository.enqueue(
                session, work(org, number, kind="CUSTOMER", priority=Priority.EVENT)
            )
    await page.goto(f"{console_url}/console/orgs/{org}/work")
    await expect(page.get_by_role("heading", name="Run in progress")).to_be_visible(timeout=15_000)
    progress = page.locator("#run-progress")
    await expect(progress).to_have_attribute("max", str(RECORDS))
    everyone = page.locator("#everyone").get_by_role("row").filter(has_text=str(org))
    await expect(everyone.get_by_role("link", name=str(org))).to_be_visible()
    await expect(page.locator("#run-eta")).to_have_text(
        re.compile(r"about \d+ (s|min)"), timeout=20_000
    )
    await expect(page.locator("#realm-now")).not_to_have_text("0")
    await screenshot(page, "work-run-in-progress")

    # The page follows the run by itself until it is done.
    await expect(page.get_by_role("heading", name="Last run")).to_be_visible(timeout=60_000)
    await expect(page.locator("#run-count")).to_have_text(f"{RECORDS} of {RECORDS} done")
    await expect(progress).to_have_attribute("value", str(RECORDS))
    await expect(page.locator("#waiting")).to_have_text("0")
    await expect(page.locator("svg.chart").first.locator("rect")).not_to_have_count(0)
    await screenshot(page, "work-run-done")
    customers = await emulator_control.live(realm_id, "Customer")
    assert len(customers) == RECORDS
