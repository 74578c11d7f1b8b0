"""The console in a real browser: qbsync served over HTTP on a loopback port (API, console and
callback), the session's emulator, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import html
import re
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def _register_redirect_uri(emulator: str, redirect_uri: str) -> None:
    """The emulated Intuit app, like Intuit's, sends users only to registered redirect URIs."""
    registered = httpx.get(f"{emulator}/_emulator/config").json()["redirect_uris"]
    update = {"redirect_uris": [*registered, redirect_uri]}
    httpx.put(f"{emulator}/_emulator/config", json=update).raise_for_status()


@contextmanager
def serve_console(database_url: str, emulator: str, **overrides: Any) -> Iterator[str]:
    """qbsync on a loopback port with the console, its consumers and its scheduler running;
    ``overrides``: settings groups merged over the test defaults."""
    port = _free_port()
    redirect_uri = f"http://127.0.0.1:{port}/api/quickbooks/callback"
    _register_redirect_uri(emulator, redirect_uri)
    endpoints = emulator_endpoints(emulator)
    endpoints["quickbooks"] |= {
        "redirect_uri": redirect_uri,
        # One QuickBooks request per attempt, so one injected fault fails one attempt.
        "max_attempts": 1,
        **overrides.pop("quickbooks", {}),
    }
    # Consumers run, so that backfills and replays make progress as they would in production.
    settings = make_settings(
        db={"url": database_url},
        # authUrl is qbsync's own start page, under the public base URL.
        server={"run_consumers": True, "public_base_url": f"http://127.0.0.1:{port}"},
        **endpoints,
        **overrides,
    )
    with serve_in_thread(create_app(settings), port=port) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def console_url(database_url: str, emulator: str) -> Iterator[str]:
    with serve_console(database_url, emulator) as base_url:
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


async def visit(page: Page, url: str, name: str) -> dict[str, float]:
    """Open ``url`` as a fresh page load and screenshot it; answers its first contentful
    paint and the server's time to first byte, in ms from navigation start."""
    await page.goto(url)
    paint = await page.evaluate(
        "() => new Promise(done => new PerformanceObserver((list, observer) => {"
        " const entry = list.getEntriesByName('first-contentful-paint')[0];"
        " if (entry) { observer.disconnect(); done(entry.startTime); }"
        "}).observe({type: 'paint', buffered: true}))"
    )
    first_byte = await page.evaluate(
        "() => performance.getEntriesByType('navigation')[0].responseStart"
    )
    await screenshot(page, name)
    return {"firstContentfulPaint": round(paint), "firstByte": round(first_byte)}


async def connect_by_api(api: httpx.AsyncClient) -> str:
    """Connect the organization to a new emulated company, consenting the way the browser
    would (the browser test does it through the page); returns the realm id."""
    auth_url = (await api.get("/api/quickbooks/connect")).json()["authUrl"]
    async with httpx.AsyncClient(follow_redirects=True, timeout=20) as browser:
        start = await browser.get(auth_url)  # qbsync's start page binds this browser
        go = html.unescape(re.findall(r'<a class="go" href="([^"]+)"', start.text)[0])
        consent = await browser.get(go)  # Intuit's (the emulator's) consent page
        form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', consent.text))
        answer = await browser.post(
            consent.url.join(re.findall(r'<form method="post" action="([^"]+)"', consent.text)[0]),
            data={**form, "realm_id": "new", "decision": "allow"},
        )
    assert answer.status_code == 200, answer.text
    realm_id: str = (await api.get("/api/quickbooks/status")).json()["realmId"]
    return realm_id
