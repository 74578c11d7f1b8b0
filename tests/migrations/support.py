"""Plain asyncpg helpers for migration tests (no ORM, no alembic: they check alembic's work)."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy.engine import make_url

from tests.settings import TEST_DATABASE_URL


async def admin(sql: str) -> None:
    url = make_url(TEST_DATABASE_URL)
    conn = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, database="postgres"
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _tables(database_url: str) -> set[str]:
    url = make_url(database_url)
    conn = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, database=url.database
    )
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {row["tablename"] for row in rows}


def tables(database_url: str) -> set[str]:
    """The tables of the public schema, read with a plain asyncpg connection."""
    return asyncio.run(_tables(database_url))
