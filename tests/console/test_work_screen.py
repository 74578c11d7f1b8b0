"""The Work screen during a run: what waits per organization, the run's progress and ETA,
queue depth and realm utilisation drawn as they change, in a real browser. The test holds
the work back and lets it run in halves, so each state it looks at is certain to happen."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import Page, expect
from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbo_emulator.aforo import AforoStubControl, StubCustomer
from qbo_emulator.control import EmulatorControl
from qbsync.scheduler import repository
from qbsync.scheduler.models import PendingWork, Priority
from tests.console.conftest import Tenant, connect_by_api, screenshot, serve_console, sign_in
from tests.scheduler.conftest import work
from tests.tokens import make_jwt

RECORDS = 20


async def _release(
    sessionmaker: async_sessionmaker[AsyncSession], org: int, numbers: range
) -> None:
    ids = [f"CUST-{n}" for n in numbers]
    async with sessionmaker.begin() as session:
        await session.execute(
            update(PendingWork)
            .where(PendingWork.organization_id == org, PendingWork.aforo_id.in_(ids))
            .values(run_at=func.now())
        )


@pytest.fixture(scope="module")
def console_url(database_url: str, emulator: str) -> Iterator[str]:
    """Samples every half second, so the charts fill while the run goes."""
    with serve_console(database_url, emulator, console={"trend_sample_s": 0.5}) as base_url:
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

    # Aforo's events for the organization's records, as the consumers enqueue them; held
    # back (due in an hour) so that the test decides when each half may run.
    async with sessionmaker.begin() as session:
        for number in range(1, RECORDS + 1):
            request = work(org, number, kind="CUSTOMER", priority=Priority.EVENT, delay_s=3600)
            await repository.enqueue(session, request)
    await page.goto(f"{console_url}/console/orgs/{org}/work")
    await expect(page.get_by_role("heading", name="Run in progress")).to_be_visible(timeout=15_000)
    progress = page.locator("#run-progress")
    await expect(progress).to_have_attribute("max", str(RECORDS))
    await expect(page.locator("#run-count")).to_have_text(f"0 of {RECORDS} done")
    await expect(page.locator("#waiting")).to_have_text(str(RECORDS))
    everyone = page.locator("#everyone").get_by_role("row").filter(has_text=str(org))
    await expect(everyone.get_by_role("link", name=str(org))).to_be_visible()

    # Half of them may run now: the page follows by itself.
    await _release(sessionmaker, org, range(1, RECORDS // 2 + 1))
    half = f"{RECORDS // 2} of {RECORDS} done"
    await expect(page.locator("#run-count")).to_have_text(half, timeout=30_000)
    await expect(page.locator("#run-eta")).to_have_text(re.compile(r"about \d+ (s|min|h)"))
    await expect(page.locator("#realm-now")).not_to_have_text("0")
    await expect(page.locator("svg.chart").first.locator("rect")).not_to_have_count(0)
    await screenshot(page, "work-run-in-progress")

    await _release(sessionmaker, org, range(RECORDS // 2 + 1, RECORDS + 1))
    await expect(page.get_by_role("heading", name="Last run")).to_be_visible(timeout=30_000)
    await expect(page.locator("#run-count")).to_have_text(f"{RECORDS} of {RECORDS} done")
    await expect(progress).to_have_attribute("value", str(RECORDS))
    await expect(page.locator("#waiting")).to_have_text("0")
    await screenshot(page, "work-run-done")
    customers = await emulator_control.live(realm_id, "Customer")
    assert len(customers) == RECORDS
