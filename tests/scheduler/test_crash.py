"""kill -9 of the instance serving a realm, mid-backlog, with real ``qbsync worker`` processes
against the real Postgres and RabbitMQ and the emulator: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbo_emulator.control import EmulatorControl
from qbsync.config import ENV_PREFIX, NESTED_DELIMITER, Settings
from qbsync.scheduler import repository
from qbsync.scheduler.models import PendingWork, RealmLease
from qbsync.sync.models import Mapping
from tests.fixtures.sync import AforoData, Org

from .conftest import work

QBSYNC = Path(sys.executable).with_name("qbsync")


def settings_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment a ``qbsync`` process needs to run with ``settings``."""

    def value(v: Any) -> str:
        if isinstance(v, SecretStr):
            return v.get_secret_value()
        if isinstance(v, list):
            return ",".join(value(item) for item in v)
        return str(v)

    env = {"PATH": os.environ.get("PATH", "")}
    for name, field in settings:
        if isinstance(field, BaseModel):
            for sub, v in field:
                if v is not None:
                    env[f"{ENV_PREFIX}{name}{NESTED_DELIMITER}{sub}".upper()] = value(v)
        elif field is not None:
            env[f"{ENV_PREFIX}{name}".upper()] = value(field)
    return {**env, **extra}


@pytest.fixture
def workers(
    settings: Settings, tmp_path: Path
) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    env = settings_env(
        settings,
        QBSYNC_SCHEDULER__LEASE_S="3",
        QBSYNC_SCHEDULER__CONCURRENCY="4",
        # One sync (or one burst's group of 30) of the realm at a time: a kill after the
        # first group committed finds the rest of the backlog still to do.
        QBSYNC_SCHEDULER__REALM_CONCURRENCY="1",
        QBSYNC_SCHEDULER__POLL_INTERVAL_S="0.1",
        QBSYNC_LOG__LEVEL="WARNING",
    )

    def start(name: str) -> subprocess.Popen[bytes]:
        with (tmp_path / f"{name}.log").open("wb") as log:  # the child keeps its own copy
            process = subprocess.Popen(
                [str(QBSYNC), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path
            )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


async def _wait(condition: Callable[[], Any], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


@pytest.fixture
async def slow_quickbooks(emulator_control: EmulatorControl) -> AsyncIterator[None]:
    """Requests take 40-80 ms, so that a kill lands while syncs are in flight."""
    before = await emulator_control.configure()
    await emulator_control.configure(latency_ms=(40, 80))
    yield
    await emulator_control.configure(latency_ms=before.latency_ms)


class TestKill9:
    @pytest.mark.usefixtures("slow_quickbooks")
    async def test_the_realm_resumes_elsewhere_with_nothing_lost_or_twice(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        workers: Callable[[str], subprocess.Popen[bytes]],
        org: Org,
        aforo: AforoData,
        emulator_control: EmulatorControl,
    ) -> None:
        customer = await aforo.customer()
        invoices = [await aforo.invoice(customer) for _ in range(75)]
        async with sessionmaker.begin() as session:
            for invoice in invoices:
                await repository.enqueue(session, work(org.organization_id, invoice.id))
        processes = {name: workers(name) for name in ("a", "b")}

        async def mapped() -> int:
            async with sessionmaker() as session:
                return int(
                    await session.scalar(
                        select(func.count()).where(
                            Mapping.organization_id == org.organization_id,
                            Mapping.entity_type == "INVOICE",
                        )
                    )
                    or 0
                )

        async def some_done() -> bool:
            return await mapped() >= 5

        await _wait(some_done, 120, "the first invoices")
        async with sessionmaker() as session:
            lease = await session.get(RealmLease, org.realm_id, populate_existing=True)
        assert lease is not None
        assert lease.holder is not None
        holder_pid = int(lease.holder.split(":")[1])
        [victim] = [n for n, p in processes.items() if p.pid == holder_pid]
        os.kill(holder_pid, signal.SIGKILL)
        assert await mapped() < len(invoices)  # killed mid-backlog

        async def drained() -> bool:
            async with sessionmaker() as session:
                # This organization's: other tests of the run may leave parked work behind.
                rows = select(PendingWork.id).where(
                    PendingWork.organization_id == org.organization_id
                )
                return (await session.scalars(rows)).first() is None

        await _wait(drained, 180, "the survivor to finish the backlog")
        held = await emulator_control.live(org.realm_id, "Invoice")
        numbers = [r.body["DocNumber"] for r in held]
        assert sorted(numbers) == sorted(i.invoice_number for i in invoices)  # once each
        assert await mapped() == len(invoices)
        assert all(r.status != 429 for r in await emulator_control.requests(org.realm_id))

        survivor = processes["b" if victim == "a" else "a"]
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(30) == 0
