"""Reconciliation fixtures: settings with a webhook verifier token, signed deliveries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbo_emulator.changes import Change as EmulatedChange
from qbo_emulator.webhooks.formats import CONTENT_TYPES, Format, render, signature
from qbsync.app import create_app
from qbsync.config import Settings
from qbsync.scheduler.models import PendingWork
from tests.settings import emulator_endpoints, make_settings

VERIFIER_TOKEN = "test-verifier-token-0f3c"
WEBHOOK = "/api/quickbooks/webhook/intuit"


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app without waiting for RabbitMQ: nothing reconciliation does goes through it."""
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=20, shutdown_timeout=20):
        yield application


@pytest.fixture
def settings(database_url: str, emulator: str) -> Settings:
    endpoints = emulator_endpoints(emulator)
    endpoints["quickbooks"]["webhook_verifier_token"] = VERIFIER_TOKEN
    return make_settings(db={"url": database_url}, **endpoints)


def signed(body: bytes, fmt: Format = "cloudevents", token: str = VERIFIER_TOKEN) -> dict[str, str]:
    return {"content-type": CONTENT_TYPES[fmt], "intuit-signature": signature(token, body)}


def delivery(fmt: Format, *changes: tuple[str, str, str, str], **extra: Any) -> bytes:
    """Changes as (realm, entity, id, operation), rendered as Intuit sends them."""
    return render(
        fmt,
        [
            EmulatedChange(realm, entity, qbo_id, op, **extra)
            for realm, entity, qbo_id, op in changes
        ],  # type: ignore[arg-type]
        app_id="test-app",
    )


async def post(
    client: httpx.AsyncClient, body: bytes, fmt: Format = "cloudevents"
) -> httpx.Response:
    return await client.post(WEBHOOK, content=body, headers=signed(body, fmt))


async def pending_of(
    sessionmaker: async_sessionmaker[AsyncSession], organization_id: int, *, kind: str | None = None
) -> list[PendingWork]:
    async with sessionmaker() as session:
        statement = select(PendingWork).where(PendingWork.organization_id == organization_id)
        if kind is not None:
            statement = statement.where(PendingWork.kind == kind)
        rows = await session.scalars(statement.order_by(PendingWork.id))
        return list(rows)


async def drain(
    resources: Any, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
) -> None:
    """Run the organization's pending work (syncs and reconciliation) until none is left."""
    import asyncio

    from qbsync.config import SchedulerSettings
    from qbsync.scheduler.runner import Scheduler

    scheduler = Scheduler(
        sessionmaker=sessionmaker,
        execute=resources.scheduling.execute,
        limiters=resources.quickbooks.limiters,
        settings=SchedulerSettings(poll_interval_s=0.05, retry_delays_s=[0.1]),
    )
    await scheduler.start()
    try:
        async with asyncio.timeout(30):
            while True:
                if not [w for w in await pending_of(sessionmaker, org_id) if w.state != "PARKED"]:
                    return
                await asyncio.sleep(0.05)
    finally:
        await scheduler.stop()
