"""An installed qbsync migrates: the wheel built from the image's build context carries the
top-level migrations/ as qbsync.migrations, and `qbsync migrate` from that install (no source
tree in sight) brings an empty database to head."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dockerfile import ROOT, build_context_paths
from tests.migrations.support import tables
from tests.settings import TEST_FERNET_KEY, TEST_JWT_SECRET

MIGRATIONS = ROOT / "migrations"


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """qbsync built the way the Dockerfile builds it (only what it copies), installed into a
    directory of its own."""
    work = tmp_path_factory.mktemp("image")
    context = work / "context"
    for source in build_context_paths():
        origin = ROOT / source
        if origin.is_dir():
            shutil.copytree(
                origin, context / source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
            )
        else:
            context.mkdir(exist_ok=True)
            shutil.copy2(origin, context / source)
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check", "-q")
    _run(*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(work), ".", cwd=context)
    (wheel,) = work.glob("qbsync-*.whl")
    site = work / "site"
    _run(*pip, "install", "--no-deps", "--target", str(site), str(wheel), cwd=work)
    return site


def _env(site: Path, database_url: str) -> dict[str, str]:
    # Only what the image is given: no developer .env (cwd is elsewhere), no QBSYNC_* leaks.
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(site),
        "QBSYNC_DB__URL": database_url,
        "QBSYNC_JWT_SECRET": TEST_JWT_SECRET,
        "QBSYNC_TOKEN_ENCRYPTION_KEYS": TEST_FERNET_KEY,
    }


def test_the_wheel_carries_every_migration(installed: Path) -> None:
    shipped = installed / "qbsync" / "migrations"
    expected = {p.relative_to(MIGRATIONS) for p in MIGRATIONS.rglob("*") if p.is_file()}
    expected = {p for p in expected if "__pycache__" not in p.parts}
    assert {p.relative_to(shipped) for p in shipped.rglob("*") if p.is_file()} >= expected
    assert (shipped / "script.py.mako").is_file()


def test_the_installed_package_migrates(installed: Path, scratch_database: str) -> None:
    env = _env(installed, scratch_database)
    where = _run(
        sys.executable,
        "-c",
        "from qbsync.migrate import script_location; print(script_location())",
        cwd=installed.parent,
        env=env,
    )
    assert Path(where.strip()) == installed / "qbsync" / "migrations"
    _run(sys.executable, "-m", "qbsync.cli", "migrate", cwd=installed.parent, env=env)
    assert {"quickbooks_connection", "quickbooks_sync_log", "alembic_version"} <= tables(
        scratch_database
    )


def test_a_source_checkout_migrates_from_the_top_level_directory() -> None:
    from qbsync.migrate import script_location

    assert Path(script_location()) == MIGRATIONS
