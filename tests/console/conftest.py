"""The console in a real browser: qbsync served over HTTP on a loopback port (API, console and
callback), the session's emulator, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from qbo_emulator.server import serve_in_thread
from qbsync.app import create_app
from tests.settings import emulator_endpoints, make_settings
from tests.tokens import make_jwt

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "console"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def console_url(database_url: str, emulator: str) -> Iterator[str]:
    port = _free_port()
    endpoints = emulator_endpoints(emulator)
    endpoints["quickbooks"] |= {
        "redirect_uri": f"http://127.0.0.1:{port}/api/quickbooks/callback",
        # One QuickBooks request per attempt, so one injected fault fails one attempt.
        "max_attempts": 1,
    }
    settings = make_settings(
        db={"url": database_url},
        # authUrl is qbsync's own start page, under the public base URL.
        server={"run_consumers": False, "public_base_url": f"http://127.0.0.1:{port}"},
        **endpoints,
    )
    with serve_in_thread(create_app(settings), port=port) as base_url:
        yield base_url


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, (
        "Debian chromium is missing: `make test` installs it (scripts/ensure-browser.sh)"
    )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium)
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1366, "height": 768})
    context.set_default_timeout(10_000)
    opened = await context.new_page()
    yield opened
    await context.close()


@dataclass(frozen=True)
class Tenant:
    organization_id: int
    token: str


@pytest.fixture
def tenant(org_id: int) -> Tenant:
    return Tenant(org_id, make_jwt(org_id))


@pytest.fixture
async def api(console_url: str, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP API as the Aforo platform calls it, for what a test sets up outside the browser."""
    headers = {"Authorization": f"Bearer {tenant.token}"}
    async with httpx.AsyncClient(base_url=console_url, headers=headers, timeout=20) as http:
        yield http


async def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def sign_in(page: Page, base_url: str, token: str) -> None:
    await page.goto(f"{base_url}/console")
    await page.get_by_label("Token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()


def first_paint_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
