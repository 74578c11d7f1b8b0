"""Migrations: upgrade and downgrade both work, and head matches the ORM models."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from qbsync.backfill import models as _backfill  # noqa: F401 - registers tables
from qbsync.connections import models as _connections  # noqa: F401 - registers tables
from qbsync.db.base import Base
from qbsync.migrate import downgrade, upgrade
from qbsync.sync import models as _sync  # noqa: F401 - registers tables
from tests.settings import TEST_DATABASE_URL

SCRATCH_URL = str(
    make_url(TEST_DATABASE_URL).set(database=f"{make_url(TEST_DATABASE_URL).database}_migrations")
)
TABLES = {
    "quickbooks_connection",
    "quickbooks_oauth_state",
    "quickbooks_mapping",
    "quickbooks_sync_log",
}


async def _admin(sql: str) -> None:
    url = make_url(SCRATCH_URL)
    conn = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, database="postgres"
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _tables() -> set[str]:
    url = make_url(SCRATCH_URL)
    conn = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, database=url.database
    )
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {row["tablename"] for row in rows}


@pytest.fixture(scope="module")
def scratch_database() -> Iterator[str]:
    name = make_url(SCRATCH_URL).database
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    yield SCRATCH_URL
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_upgrade_downgrade_upgrade(scratch_database: str) -> None:
    upgrade(scratch_database)
    assert asyncio.run(_tables()) >= TABLES
    downgrade(scratch_database, "base")
    assert asyncio.run(_tables()) == {"alembic_version"}
    upgrade(scratch_database)
    assert asyncio.run(_tables()) >= TABLES


async def test_head_matches_the_models(engine) -> None:
    """Autogenerate finds nothing to do: models and migrations describe the same schema."""

    def diff(sync_conn):  # type: ignore[no-untyped-def]
        return compare_metadata(MigrationContext.configure(sync_conn), Base.metadata)

    async with engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []
