"""Programmatic alembic: used by ``qbsync migrate`` and the test harness."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config


def script_location() -> str:
    """The alembic scripts: the top-level ``migrations/`` directory, importable as
    ``qbsync.migrations`` (setup.py maps it; an editable install points there, a wheel
    carries a copy), so a source checkout and an installed image migrate alike."""
    return str(files("qbsync.migrations"))


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", script_location())
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
