"""Test harness: a real Postgres test database migrated by alembic, real RabbitMQ, ASGI client."""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import AsyncIterator, Iterator

import aio_pika
import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from qbo_emulator.aforo import AforoStubControl, AforoStubStore, aforo_stub_router
from qbo_emulator.app import create_emulator_app
from qbo_emulator.config import EmulatorConfig
from qbo_emulator.control import EmulatorControl
from qbo_emulator.server import serve_in_thread
from qbsync.app import create_app
from qbsync.config import Settings
from qbsync.migrate import upgrade
from tests.amqp_cleanup import delete_created
from tests.settings import (
    REDIRECT_URI,
    TEST_AMQP_URL,
    TEST_DATABASE_URL,
    TEST_JWT_SECRET,
    emulator_endpoints,
    make_settings,
)

pytest_plugins = ["tests.fixtures.sync", "tests.fixtures.consumers"]


async def _admin(url: str, *statements: str) -> None:
    target = make_url(url)
    admin = await asyncpg.connect(
        host=target.host, port=target.port, user=target.username, database="postgres"
    )
    try:
        for statement in statements:
            await admin.execute(statement.format(name=target.database))
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh database for this run, migrated to head by alembic (which tests the
    migrations too), dropped at the end."""
    asyncio.run(_admin(TEST_DATABASE_URL, 'CREATE DATABASE "{name}"'))
    upgrade(TEST_DATABASE_URL)
    yield TEST_DATABASE_URL
    asyncio.run(_admin(TEST_DATABASE_URL, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", autouse=True)
def _amqp_cleanup() -> Iterator[None]:
    yield
    try:
        asyncio.run(delete_created(TEST_AMQP_URL))
    except (TimeoutError, OSError, aio_pika.exceptions.AMQPError) as exc:
        # Housekeeping after every test has run: a broker that stopped answering at the end
        # does not undo the run's outcomes; what is left behind is said, not hidden.
        sys.stderr.write(f"\nRabbitMQ test topology left behind: {exc!r}\n")


@pytest.fixture(scope="session")
def emulator() -> Iterator[str]:
    """The QuickBooks emulator and the Aforo stubs, served on a loopback port for the run."""
    app = create_emulator_app(
        EmulatorConfig(redirect_uris=(REDIRECT_URI,)),
        extra_routers=[aforo_stub_router(AforoStubStore(), jwt_secret=TEST_JWT_SECRET)],
    )
    with serve_in_thread(app) as base_url:
        yield base_url


@pytest.fixture
async def emulator_http(emulator: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=emulator, timeout=10) as http:
        yield http


@pytest.fixture
def emulator_control(emulator: str, emulator_http: httpx.AsyncClient) -> EmulatorControl:
    return EmulatorControl(emulator, emulator_http)


@pytest.fixture
def stubs(emulator: str, emulator_http: httpx.AsyncClient) -> AforoStubControl:
    return AforoStubControl(emulator, emulator_http)


@pytest.fixture
def settings(database_url: str, emulator: str) -> Settings:
    return make_settings(db={"url": database_url}, **emulator_endpoints(emulator))


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url, pool_size=5, pool_pre_ping=True)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Committing sessions, for tests where several connections must see each other's work
    (locks, consumers, concurrent syncs); such tests use their own organization ids."""
    return async_sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
def org_id() -> int:
    return random.randint(10_000_000, 2**40)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=20, shutdown_timeout=20):
        # Tests expect a running broker: start from a settled connection, not a half-open one.
        await application.state.resources.amqp.wait_connected(10)
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://qbsync.test") as http:
        yield http
