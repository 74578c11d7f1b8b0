"""Scratch databases for migration tests: each test module migrates its own, never the run's."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from tests.migrations.support import admin
from tests.settings import TEST_DATABASE_URL


@pytest.fixture(scope="module")
def scratch_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database named after the test module, dropped afterwards."""
    suffix = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    url = make_url(TEST_DATABASE_URL)
    name = f"{url.database}_{suffix}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
