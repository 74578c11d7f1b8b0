"""Process-wide resources, opened once by the API lifespan and by the worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from qbsync.config import Settings
from qbsync.connections.crypto import TokenCipher
from qbsync.db.session import create_engine, create_sessionmaker
from qbsync.events.connection import AmqpConnector
from qbsync.http import build_http_client


@dataclass(frozen=True)
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    qbo_http: httpx.AsyncClient
    aforo_http: httpx.AsyncClient
    amqp: AmqpConnector
    cipher: TokenCipher


@asynccontextmanager
async def open_resources(
    settings: Settings, *, connect_amqp: bool = True
) -> AsyncIterator[Resources]:
    async with AsyncExitStack() as stack:
        engine = create_engine(settings.db)
        stack.push_async_callback(engine.dispose)
        qbo_http = build_http_client(
            timeout_s=settings.quickbooks.timeout_s, user_agent=settings.quickbooks.user_agent
        )
        stack.push_async_callback(qbo_http.aclose)
        # One pool for the Aforo services; each client passes its absolute base URL.
        aforo_http = build_http_client(
            timeout_s=settings.aforo.timeout_s, user_agent=settings.quickbooks.user_agent
        )
        stack.push_async_callback(aforo_http.aclose)
        amqp = AmqpConnector(settings.amqp)
        stack.push_async_callback(amqp.close)
        if connect_amqp:
            # Returns at once; the connector keeps trying in the background while the
            # broker is down, so the API serves and readiness reports the broker honestly.
            await amqp.start()
        yield Resources(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            qbo_http=qbo_http,
            aforo_http=aforo_http,
            amqp=amqp,
            cipher=TokenCipher(settings.token_encryption_keys),
        )
