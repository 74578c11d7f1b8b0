"""Engine and session factory; the unit of work is opened by the boundary (route, consumer)."""

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
        pool_pre_ping=True,
        echo=settings.echo,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def create_token_engine(settings: DatabaseSettings) -> AsyncEngine:
    """A small pool of its own for OAuth token reads and refreshes: a sync holds a pooled
    connection for its unit of work while it asks for a token, so sharing one pool could
    leave every connection waiting for one more."""
    return create_async_engine(settings.url, pool_size=2, max_overflow=2, pool_pre_ping=True)
