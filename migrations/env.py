"""Alembic environment: async engine from qbsync's settings, metadata from every ORM module."""

from __future__ import annotations

import asyncio
import logging.config

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from qbsync.backfill import models as _backfill_models  # noqa: F401 - registers tables
from qbsync.connections import models as _connection_models  # noqa: F401 - registers tables
from qbsync.db.base import Base
from qbsync.readbudget import models as _readbudget_models  # noqa: F401 - registers tables
from qbsync.reconcile import models as _reconcile_models  # noqa: F401 - registers tables
from qbsync.scheduler import models as _scheduler_models  # noqa: F401 - registers tables
from qbsync.snapshots import models as _snapshot_models  # noqa: F401 - registers tables
from qbsync.sync import models as _sync_models  # noqa: F401 - registers tables
from qbsync.sync_settings import models as _settings_models  # noqa: F401 - registers tables

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _database_url() -> str:
    # `qbsync migrate` and the tests pass the URL; a bare `alembic upgrade` reads settings.
    url = config.attributes.get("database_url")
    if url:
        return str(url)
    from qbsync.config import get_settings

    return get_settings().db.url


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(_database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
