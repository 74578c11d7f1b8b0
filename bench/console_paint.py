"""``console``: how fast the operations console paints (issue #18's target: first paint under
1 s on this machine), measured as a person meets it: ``qbsync serve`` as deployed, one
organization with synced records, headless Debian Chromium through Playwright.

Each screen is loaded ``visits`` times as a fresh navigation; the first contentful paint
(the browser's own PerformanceObserver entry) and the server's time to first byte are taken
from each load. Settings and Drift paint at once and then load what QuickBooks has to answer
(the company's lists, the comparison): for them the time until that part is on screen is
reported too ("ready"). The first load of a fresh browser and server is reported apart
("cold")."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime

import httpx
from playwright.async_api import Page, async_playwright
from pydantic_settings import BaseSettings, SettingsConfigDict

from bench import workload
from bench.observe import percentiles
from bench.results import Result, Target
from bench.stack import Stack

NAME = "console"
TARGET_MS = 1000.0

PAINT = (
    "() => new Promise(done => new PerformanceObserver((list, observer) => {"
    " const entry = list.getEntriesByName('first-contentful-paint')[0];"
    " if (entry) { observer.disconnect(); done(entry.startTime); }"
    "}).observe({type: 'paint', buffered: true}))"
)
FIRST_BYTE = "() => performance.getEntriesByType('navigation')[0].responseStart"


class Options(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BENCH_CONSOLE_")

    visits: int = 10
    customers: int = 30
    invoices: int = 30
    synced: int = 20  # records synced before the screens are measured


async def _visit(page: Page, url: str, ready: str | None) -> dict[str, float]:
    started = time.perf_counter()
    await page.goto(url)
    sample = {
        "fcp": float(await page.evaluate(PAINT)),
        "ttfb": float(await page.evaluate(FIRST_BYTE)),
    }
    if ready is not None:
        await page.locator(ready).first.wait_for(timeout=30_000)
        sample["ready"] = (time.perf_counter() - started) * 1000
    return sample


async def run() -> Result:
    opts = Options()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise RuntimeError("Debian chromium is missing: make browser")
    async with Stack(NAME) as stack:
        # QuickBooks' own limits (500 a minute, 9 a second), as in production.
        serve, base = await stack.start_serve(stack.env(per_minute=500))
        [org] = await stack.connect_orgs(1)
        data = workload.build(org, customers=opts.customers, invoices=opts.invoices)
        await workload.seed(stack.stubs, [data])
        oid = org.organization_id
        headers = {"Authorization": f"Bearer {stack.token(oid)}"}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as api:
            for invoice in data.invoices[: opts.synced]:
                await api.post("/api/quickbooks/sync/invoice", params={"invoiceId": invoice.id})
        month = datetime.now(UTC).date().replace(day=1)
        screens: dict[str, tuple[str, str | None]] = {
            "sign-in": ("/console/sign-in", None),
            "connection": (f"/console/orgs/{oid}/connection", None),
            "settings": (f"/console/orgs/{oid}/settings", "#settings-form form"),
            "records": (f"/console/orgs/{oid}/records", None),
            "record": (f"/console/orgs/{oid}/records/invoices/invoice-{data.invoices[0].id}", None),
            "work": (f"/console/orgs/{oid}/work", None),
            "activity": (f"/console/orgs/{oid}/activity", None),
            "drift": (
                f"/console/orgs/{oid}/drift?from={month}&to={datetime.now(UTC).date()}",
                "#totals",
            ),
        }
        samples: dict[str, list[dict[str, float]]] = {}
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium)
            page = await browser.new_page(viewport={"width": 1366, "height": 768})
            cold = await _visit(page, f"{base}/console/sign-in", None)
            await page.get_by_label("Token").fill(stack.token(oid, operator=True))
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_load_state()
            for name, (path, ready) in screens.items():
                samples[name] = [await _visit(page, base + path, ready) for _ in range(opts.visits)]
            await browser.close()
        serve_stats = serve.stats()

    summary = {
        name: {
            metric: percentiles([s[metric] for s in taken if metric in s])
            for metric in ("fcp", "ttfb", "ready")
            if any(metric in s for s in taken)
        }
        for name, taken in samples.items()
    }
    targets = [
        Target(
            metric=f"{name}: first contentful paint, p50 ms",
            value=stats["fcp"]["p50"],
            target=f"< {TARGET_MS:g}",
            met=(stats["fcp"]["p50"] or TARGET_MS) < TARGET_MS,
            why=None
            if (stats["fcp"]["p50"] or TARGET_MS) < TARGET_MS
            else "see its time to first byte: the server's answer, or the browser's",
        )
        for name, stats in summary.items()
    ]
    worst = max(summary, key=lambda n: summary[n]["fcp"]["p50"] or 0)
    headline = (
        f"first contentful paint p50 {min(s['fcp']['p50'] or 0 for s in summary.values()):g} to "
        f"{summary[worst]['fcp']['p50']:g} ms over {len(summary)} screens (slowest: {worst}); "
        f"cold sign-in {cold['fcp']:.0f} ms"
    )
    return Result(
        name=NAME,
        headline=headline,
        config=opts.model_dump(),
        targets=targets,
        data={
            "cold": cold,
            "screens": summary,
            "serve_cpu_s": serve_stats.cpu_s if serve_stats else None,
        },
    )
