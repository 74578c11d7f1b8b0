"""Fixtures: a fresh emulator per test, reached in-process (ASGI) or over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from qbo_emulator.app import create_emulator_app
from qbo_emulator.control import EmulatorControl
from qbo_emulator.server import serve_in_thread
from support import SEED_REALM, Qbo, app_config

ASGI_BASE = "http://emulator.test"


@pytest.fixture
def emulator_app() -> FastAPI:
    return create_emulator_app(app_config())


@pytest.fixture
async def http(emulator_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator_app)
    async with httpx.AsyncClient(transport=transport, base_url=ASGI_BASE) as client:
        yield client


@pytest.fixture
def control(http: httpx.AsyncClient) -> EmulatorControl:
    return EmulatorControl(ASGI_BASE, http)


@pytest.fixture
async def qbo(http: httpx.AsyncClient, control: EmulatorControl) -> Qbo:
    issued = await control.issue_tokens(SEED_REALM)
    return Qbo(http, realm_id=SEED_REALM, access_token=issued.access_token)


@pytest.fixture
def served(emulator_app: FastAPI) -> Iterator[str]:
    """The same app behind a real uvicorn server (for timeouts and dropped connections)."""
    with serve_in_thread(emulator_app) as base_url:
        yield base_url


@pytest.fixture
async def real_http(served: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served, timeout=5.0) as client:
        yield client
