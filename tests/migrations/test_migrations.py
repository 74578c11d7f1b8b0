"""Migrations: upgrade and downgrade both work, and head matches the ORM models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from qbsync.backfill import models as _backfill  # noqa: F401 - registers tables
from qbsync.connections import models as _connections  # noqa: F401 - registers tables
from qbsync.db.base import Base
from qbsync.migrate import downgrade, upgrade
from qbsync.readbudget import models as _readbudget  # noqa: F401 - registers tables
from qbsync.snapshots import models as _snapshots  # noqa: F401 - registers tables
from qbsync.sync import models as _sync  # noqa: F401 - registers tables
from tests.migrations.support import tables

TABLES = {
    "quickbooks_connection",
    "quickbooks_oauth_state",
    "quickbooks_mapping",
    "quickbooks_sync_log",
}


def test_upgrade_downgrade_upgrade(scratch_database: str) -> None:
    upgrade(scratch_database)
    assert tables(scratch_database) >= TABLES
    downgrade(scratch_database, "base")
    assert tables(scratch_database) == {"alembic_version"}
    upgrade(scratch_database)
    assert tables(scratch_database) >= TABLES


async def test_head_matches_the_models(engine) -> None:
    """Autogenerate finds nothing to do: models and migrations describe the same schema."""

    def diff(sync_conn):  # type: ignore[no-untyped-def]
        return compare_metadata(MigrationContext.configure(sync_conn), Base.metadata)

    async with engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []
