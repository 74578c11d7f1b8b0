"""Programmatic alembic: used by ``qbsync migrate`` and the test harness."""

from __future__ import annotations

from alembic import command
from alembic.config import Config


def alembic_config(database_url: str) -> Config:
    # The migrations ship inside the package, so an installed qbsync can migrate without
    # the source tree (alembic.ini at the root is only for `alembic revision` while developing).
    config = Config()
    config.set_main_option("script_location", "qbsync:migrations")
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
