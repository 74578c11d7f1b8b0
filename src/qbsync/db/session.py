"""Engine and session factory; the unit of work is opened by the boundary (route, consumer).

No pre-ping: it cost every checkout a transaction of its own (three round trips) to guard
against a connection Postgres dropped. Without it such a connection fails the one unit of
work that checks it out (a sync is put back and retried like any outage, an enqueue's
message handed back, a person's request fails once); SQLAlchemy then discards every
connection the pool opened before the failure, so a restart of Postgres costs one such
failure per process, not one per pooled connection.
docs/quickbooks-cost.md §CPU per event has the measurements."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from qbsync.config import DatabaseSettings


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    return create_async_engine(
        settings.url,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        echo=settings.echo,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def create_token_engine(settings: DatabaseSettings) -> AsyncEngine:
    """A small pool of its own for OAuth token reads and refreshes: a sync holds a pooled
    connection for its unit of work while it asks for a token, so sharing one pool could
    leave every connection waiting for one more."""
    return create_async_engine(settings.url, pool_size=2, max_overflow=2)
