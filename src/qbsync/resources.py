"""Process-wide resources, opened once by the API lifespan and by the worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from qbsync.aforo.auth import AforoCredentials
from qbsync.aforo.base import AforoRetry
from qbsync.aforo.billing import BillingClient
from qbsync.aforo.orgs import OrgClient
from qbsync.aforo.payments import PaymentClient
from qbsync.aforo.rateplans import RatePlanClient
from qbsync.config import Settings
from qbsync.connections.access import QuickBooksAccess
from qbsync.connections.crypto import TokenCipher
from qbsync.db.session import create_engine, create_sessionmaker, create_token_engine
from qbsync.events.connection import AmqpConnector
from qbsync.events.publisher import Publisher
from qbsync.http import build_http_client
from qbsync.quickbooks.limiter import RealmLimiters
from qbsync.readbudget.budget import ReadBudget
from qbsync.reconcile.executor import reconcile_executor
from qbsync.scheduler.executor import engine_batching, engine_executor
from qbsync.scheduler.service import Scheduling
from qbsync.sync.context import AforoClients, SyncDeps

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    qbo_http: httpx.AsyncClient
    aforo_http: httpx.AsyncClient
    amqp: AmqpConnector
    publisher: Publisher
    cipher: TokenCipher
    quickbooks: QuickBooksAccess
    aforo: AforoClients
    scheduling: Scheduling
    reads: ReadBudget

    @property
    def sync_deps(self) -> SyncDeps:
        return SyncDeps(quickbooks=self.quickbooks, aforo=self.aforo)


@asynccontextmanager
async def open_resources(
    settings: Settings, *, connect_amqp: bool = True
) -> AsyncIterator[Resources]:
    async with AsyncExitStack() as stack:
        engine = create_engine(settings.db)
        stack.push_async_callback(engine.dispose)
        token_engine = create_token_engine(settings.db)
        stack.push_async_callback(token_engine.dispose)
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
        publisher = Publisher(amqp, settings.amqp)
        stack.push_async_callback(publisher.close)
        if connect_amqp:
            # Returns at once; the connector keeps trying in the background while the
            # broker is down, so the API serves and readiness reports the broker honestly.
            await amqp.start()
        sessionmaker = create_sessionmaker(engine)
        cipher = TokenCipher(settings.token_encryption_keys)
        limiters = RealmLimiters(
            settings.quickbooks, per_second=settings.quickbooks.requests_per_second
        )
        reads = ReadBudget(settings.quickbooks)
        _count_reads(stack, reads, sessionmaker)
        quickbooks = QuickBooksAccess(
            sessionmaker=create_sessionmaker(token_engine),
            http=qbo_http,
            settings=settings.quickbooks,
            cipher=cipher,
            limiters=limiters,
            reads=reads,
        )
        aforo = build_aforo_clients(settings, aforo_http)
        yield Resources(
            settings=settings,
            engine=engine,
            sessionmaker=sessionmaker,
            qbo_http=qbo_http,
            aforo_http=aforo_http,
            amqp=amqp,
            publisher=publisher,
            cipher=cipher,
            quickbooks=quickbooks,
            aforo=aforo,
            scheduling=Scheduling(
                sessionmaker=sessionmaker,
                execute=reconcile_executor(
                    SyncDeps(quickbooks=quickbooks, aforo=aforo),
                    engine_executor(SyncDeps(quickbooks=quickbooks, aforo=aforo)),
                ),
                limiters=limiters,
                settings=settings.scheduler,
                batching=engine_batching(SyncDeps(quickbooks=quickbooks, aforo=aforo), sessionmaker)
                if settings.scheduler.batch_bursts
                else None,
            ),
            reads=reads,
        )


def _count_reads(
    stack: AsyncExitStack, reads: ReadBudget, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Save the process's read counts in the background, and once more on the way out."""
    task = asyncio.create_task(reads.run(sessionmaker), name="qbsync-read-budget")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        try:
            await reads.flush(sessionmaker)
        except Exception:  # the database may be gone already; counts are best effort then
            log.warning("read usage not saved at shutdown", exc_info=True)

    stack.push_async_callback(stop)


def build_aforo_clients(
    settings: Settings, http: httpx.AsyncClient, *, retry: AforoRetry | None = None
) -> AforoClients:
    credentials = AforoCredentials(settings.jwt_secret, settings.aforo.service_token_ttl_s)
    urls = settings.aforo
    return AforoClients(
        orgs=OrgClient(http, credentials, base_url=str(urls.org_url), retry=retry),
        billing=BillingClient(http, credentials, base_url=str(urls.metering_url), retry=retry),
        rate_plans=RatePlanClient(http, credentials, base_url=str(urls.rateplan_url), retry=retry),
        payments=PaymentClient(http, credentials, base_url=str(urls.payment_url), retry=retry),
    )
