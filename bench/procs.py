"""Subprocesses the bench starts (emulator, qbsync workers and API): spawn, stats, kill."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / ".venv" / "bin"
_TICKS = os.sysconf("SC_CLK_TCK")
# Every process the bench started and has not reaped yet; killed on the way out, whatever
# happened (see bench/__main__.py).
LIVE: set[QbsyncProcess] = set()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_port(
    port: int, timeout_s: float = 30.0, *, process: QbsyncProcess | None = None
) -> None:
    """Until something accepts on ``port``; fails at once if ``process`` has exited."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and not process.alive:
            tail = " | ".join(process.log_tail(3))
            raise RuntimeError(f"{process.name} exited ({process.popen.returncode}): {tail}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


class ProcStats(BaseModel):
    """CPU seconds (user + system) and peak resident memory (VmHWM) of one process."""

    cpu_s: float
    peak_rss_mb: float


def read_stats(pid: int) -> ProcStats | None:
    """From /proc: fields 14 and 15 of ``stat`` are utime and stime in clock ticks."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces; it ends at the last ')'.
    fields = stat.rsplit(")", 1)[1].split()
    cpu_s = (int(fields[11]) + int(fields[12])) / _TICKS
    hwm_kb = 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            hwm_kb = int(line.split()[1])
    return ProcStats(cpu_s=round(cpu_s, 2), peak_rss_mb=round(hwm_kb / 1024, 1))


@dataclass(eq=False)
class QbsyncProcess:
    """One ``qbsync`` subprocess with its log file; in its own session so no signal the
    bench receives (Ctrl-C) reaches it before the bench has decided what to do."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    last_stats: ProcStats | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def stats(self) -> ProcStats | None:
        stats = read_stats(self.pid) if self.alive else None
        if stats is not None:
            self.last_stats = stats
        return self.last_stats

    def kill9(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no shutdown code runs."""
        self.stats()
        if self.alive:
            self.popen.send_signal(signal.SIGKILL)
        self._reap(5.0)

    def stop(self, grace_s: float = 25.0) -> None:
        """SIGTERM (qbsync's graceful shutdown), then SIGKILL if it is still there."""
        self.stats()
        if self.alive:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.popen.send_signal(signal.SIGKILL)
        self._reap(5.0)

    def _reap(self, timeout_s: float) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout_s)
        if not self.alive:
            LIVE.discard(self)

    def log_tail(self, lines: int = 20) -> list[str]:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return text.splitlines()[-lines:]

    def log_errors(self) -> int:
        """Lines logged at ERROR or above (qbsync's JSON lines or console lines)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return 0
        levels = ('"level": "error"', '"level": "critical"', " ERROR ", " CRITICAL ")
        return sum(1 for line in text.splitlines() if any(level in line for level in levels))


def spawn(name: str, args: list[str], env: dict[str, str], log_dir: Path) -> QbsyncProcess:
    """Start ``qbsync <args>`` with exactly ``env`` (plus PATH/HOME), cwd = ``log_dir`` so
    that no stray ``.env`` file is read."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TZ") if key in os.environ}
    with log_path.open("ab") as log:
        popen = subprocess.Popen(
            [str(BIN / "qbsync"), *args],
            env={**base, **env},
            cwd=log_dir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    process = QbsyncProcess(name, popen, log_path)
    LIVE.add(process)
    return process


def kill_all() -> None:
    for process in list(LIVE):
        process.kill9()


def run_once(args: list[str], env: dict[str, str], cwd: Path, timeout_s: float = 120) -> None:
    """``qbsync <args>`` to completion (migrate); raises with its output when it fails."""
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    done = subprocess.run(
        [str(BIN / "qbsync"), *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        timeout=timeout_s,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"qbsync {' '.join(args)} failed: {done.stderr.decode()[-2000:]}")
