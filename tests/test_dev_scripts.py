"""``make run`` as a newcomer uses it: what it installs, which database .env names, which
settings win, and how Ctrl-C ends it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.settings import TEST_FERNET_KEY, TEST_JWT_SECRET, unique_amqp_names

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _make_n(*args: str) -> str:
    """What ``make`` would run, without running it (a venv path that does not exist)."""
    return subprocess.run(
        ["make", "-n", "-C", str(ROOT), "VENV=/nonexistent-venv", *args],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "DB_NAME"},
    ).stdout


class TestMakefile:
    def test_run_installs_the_runtime_only(self) -> None:
        commands = _make_n("run")
        assert "pip install" in commands
        assert "--group dev" not in commands

    def test_test_installs_the_dev_tools(self) -> None:
        assert "--group dev" in _make_n("test")

    def test_db_name_reaches_the_env_file(self) -> None:
        assert "DB_NAME=scratch bash scripts/dev-env.sh" in _make_n("run", "DB_NAME=scratch")
        assert "DB_NAME=" not in _make_n("run").split("dev-env.sh")[0].splitlines()[-1]


def _dev_env(workdir: Path, **env: str) -> str:
    subprocess.run(
        ["bash", str(SCRIPTS / "dev-env.sh"), ".env"],
        cwd=workdir,
        env={"PATH": os.environ["PATH"], "PYTHON": sys.executable, **env},
        check=True,
        capture_output=True,
    )
    return (workdir / ".env").read_text()


def _db_url(env_text: str) -> str:
    [line] = [line for line in env_text.splitlines() if line.startswith("QBSYNC_DB__URL=")]
    return line.split("=", 1)[1]


class TestDevEnv:
    def test_a_new_env_file_names_the_database_asked_for(self, tmp_path: Path) -> None:
        assert _db_url(_dev_env(tmp_path, DB_NAME="scratch")).endswith("/scratch")

    def test_an_existing_env_file_is_repointed_and_keeps_its_secrets(self, tmp_path: Path) -> None:
        first = _dev_env(tmp_path)
        assert _db_url(first).endswith("/qbsync")
        second = _dev_env(tmp_path, DB_NAME="other")
        assert _db_url(second) == "postgresql+asyncpg://postgres@127.0.0.1:5432/other"
        assert [line for line in first.splitlines() if "DB__URL" not in line] == [
            line for line in second.splitlines() if "DB__URL" not in line
        ]

    def test_without_db_name_an_existing_file_is_left_alone(self, tmp_path: Path) -> None:
        (tmp_path / ".env").write_text("QBSYNC_DB__URL=postgresql+asyncpg://me@db:5432/mine\n")
        assert _dev_env(tmp_path) == "QBSYNC_DB__URL=postgresql+asyncpg://me@db:5432/mine\n"


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 40
    while True:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.3)


def test_run_local_obeys_exported_settings_and_ends_cleanly_on_ctrl_c(
    database_url: str, tmp_path: Path
) -> None:
    env_port, exported_port, emulator_port = _free_port(), _free_port(), _free_port()
    amqp = unique_amqp_names("run")
    (tmp_path / ".env").write_text(
        "\n".join(
            [
                f"QBSYNC_JWT_SECRET={TEST_JWT_SECRET}",
                f"QBSYNC_TOKEN_ENCRYPTION_KEYS={TEST_FERNET_KEY}",
                f"QBSYNC_DB__URL={database_url}",
                f"QBSYNC_SERVER__PORT={env_port}",
                "QBSYNC_SERVER__RUN_CONSUMERS=false",
                *(f"QBSYNC_AMQP__{key.upper()}={value}" for key, value in amqp.items()),
            ]
        )
        + "\n"
    )
    log = tmp_path / "run.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            ["bash", str(SCRIPTS / "run-local.sh"), str(emulator_port)],
            cwd=tmp_path,
            env={
                "PATH": os.environ["PATH"],
                "BIN": str(Path(sys.executable).parent),
                # Exported beats .env, as the README says.
                "QBSYNC_SERVER__PORT": str(exported_port),
            },
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's job is
        )
    try:
        _wait_for(f"http://127.0.0.1:{exported_port}/health/live", process, log)
        _wait_for(f"http://127.0.0.1:{emulator_port}/_emulator/realms", process, log)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does to the job
        assert process.wait(timeout=40) == 0, log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    output = log.read_text()
    assert "Traceback" not in output
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", emulator_port), timeout=1)
