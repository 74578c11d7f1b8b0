"""One bench run's world: its own database, emulator process, AMQP names and qbsync processes.

``Stack`` creates everything with a uuid tag and removes all of it on the way out, also
when the run fails: processes killed, queues and exchanges deleted, database dropped.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

import asyncpg  # type: ignore[import-untyped]
import httpx
from cryptography.fernet import Fernet
from joserfc import jwt
from joserfc.jwk import OctKey
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bench import amqp
from bench.procs import QbsyncProcess, free_port, run_once, spawn, wait_port
from bench.results import RESULTS_DIR
from qbo_emulator.aforo.control import AforoStubControl
from qbo_emulator.control import EmulatorControl
from qbsync.config import AmqpSettings
from qbsync.connections.crypto import TokenCipher

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
# BENCH_AMQP_URL: another broker (e.g. one of the bench's own while the shared one is busy).
AMQP_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
# Set, a run's database is left for a look afterwards (its name is printed), not dropped.
KEEP_DB = bool(os.environ.get("BENCH_KEEP_DB"))


@dataclass(frozen=True)
class Org:
    organization_id: int
    realm_id: str


@dataclass
class Stack:
    """``async with Stack("throughput") as stack:`` — see the module docstring."""

    name: str
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    fernet_key: str = field(default_factory=lambda: Fernet.generate_key().decode())
    # Short delayed-retry steps (production: 5 s … 1 h) so that campaigns settle in seconds.
    retry_delays_s: tuple[float, ...] = (1.0, 2.0, 4.0)
    processes: list[QbsyncProcess] = field(default_factory=list)
    orgs: list[Org] = field(default_factory=list)
    db_connections: int = 0

    def __post_init__(self) -> None:
        self.db_name = f"qbsync_bench_{self.name}_{self.tag}"
        base = make_url(PG_URL)
        self.db_url = base.set(database=self.db_name).render_as_string(hide_password=False)
        prefix = f"bench.{self.name}.{self.tag}"
        self.amqp = AmqpSettings(
            url=AMQP_URL,
            exchange=f"{prefix}.events",
            queue_prefix=prefix,
            retry_exchange=f"{prefix}.retry",
            parking_queue=f"{prefix}.parked",
            retry_delays_s=list(self.retry_delays_s),
        )
        self.log_dir = RESULTS_DIR / "logs" / f"{self.name}-{self.tag}"
        self.emulator_port = free_port()
        self.emulator_url = f"http://127.0.0.1:{self.emulator_port}"
        self.http = httpx.AsyncClient(timeout=60.0)
        self.emulator = EmulatorControl(self.emulator_url, self.http)
        self.stubs = AforoStubControl(self.emulator_url, self.http)
        self.emulator_process: QbsyncProcess | None = None
        self._db_created = False

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Stack:
        try:
            await self._admin(f'CREATE DATABASE "{self.db_name}"')
            self._db_created = True
            await asyncio.to_thread(run_once, ["migrate"], self.env(), self.log_dir_ready())
            self.emulator_process = spawn(
                "emulator",
                # "=": a secret may start with "-", which argparse would take for an option.
                ["emulator", "--port", str(self.emulator_port), f"--jwt-secret={self.jwt_secret}"],
                {"QBSYNC_LOG__LEVEL": "WARNING"},
                self.log_dir,
            )
            await wait_port(self.emulator_port, process=self.emulator_process)
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Everything this stack made, each step on its own so one failure skips nothing."""
        for process in self.processes:
            process.kill9()
        if self.emulator_process is not None:
            self.emulator_process.kill9()
        try:
            await amqp.delete_topology(self.amqp)
            left = await amqp.queue_stats(self.amqp)
            if left:
                print(f"bench: queues left on the broker: {sorted(left)}")
        except Exception as exc:  # the run's result matters more; say what was left
            print(f"bench: could not delete the AMQP topology {self.amqp.exchange}: {exc!r}")
        if self._db_created and KEEP_DB:
            print(f"bench: database {self.db_name} kept (BENCH_KEEP_DB)")
        elif self._db_created:
            try:
                await self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            except Exception as exc:
                print(f"bench: could not drop database {self.db_name}: {exc!r}")
        await self.http.aclose()

    def log_dir_ready(self) -> Path:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        return self.log_dir

    async def _admin(self, statement: str) -> None:
        connection = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres")
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    async def db(self, *, patience_s: float = 30.0) -> asyncpg.Connection:
        """A connection to the run's database. The server is shared (other people's test
        suites): while it is at its connection limit, try again for up to ``patience_s``
        rather than lose the run's measurements."""
        deadline = time.monotonic() + patience_s
        self.db_connections += 1  # each bench connection runs one statement (see runs.py)
        while True:
            try:
                return await asyncpg.connect(
                    host="127.0.0.1", port=5432, user="postgres", database=self.db_name
                )
            except asyncpg.TooManyConnectionsError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)

    # -- qbsync processes -----------------------------------------------------------------

    def env(
        self,
        *,
        per_minute: int = 120,
        in_flight: int = 10,
        per_second: int | None = None,
        db_url: str | None = None,
        amqp_url: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """qbsync's whole configuration, as environment variables (as deployed)."""
        emu = self.emulator_url
        env = {
            "QBSYNC_JWT_SECRET": self.jwt_secret,
            "QBSYNC_TOKEN_ENCRYPTION_KEYS": self.fernet_key,
            "QBSYNC_DB__URL": db_url or self.db_url,
            "QBSYNC_DB__POOL_SIZE": "20",
            "QBSYNC_DB__MAX_OVERFLOW": "10",
            "QBSYNC_AMQP__URL": amqp_url or self.amqp.url,
            "QBSYNC_AMQP__EXCHANGE": self.amqp.exchange,
            "QBSYNC_AMQP__QUEUE_PREFIX": self.amqp.queue_prefix,
            "QBSYNC_AMQP__RETRY_EXCHANGE": self.amqp.retry_exchange,
            "QBSYNC_AMQP__PARKING_QUEUE": self.amqp.parking_queue,
            "QBSYNC_AMQP__RETRY_DELAYS_S": ",".join(str(d) for d in self.amqp.retry_delays_s),
            "QBSYNC_AMQP__RECONNECT_INTERVAL_S": "1",
            # The same short steps for retries of scheduled work (issue #14's scheduler).
            "QBSYNC_SCHEDULER__RETRY_DELAYS_S": ",".join(str(d) for d in self.amqp.retry_delays_s),
            "QBSYNC_QUICKBOOKS__ENVIRONMENT": "sandbox",
            "QBSYNC_QUICKBOOKS__CLIENT_ID": "emulator-client-id",
            "QBSYNC_QUICKBOOKS__CLIENT_SECRET": "emulator-client-secret",
            "QBSYNC_QUICKBOOKS__AUTHORIZE_URL": f"{emu}/connect/oauth2",
            "QBSYNC_QUICKBOOKS__TOKEN_URL": f"{emu}/oauth2/v1/tokens/bearer",
            "QBSYNC_QUICKBOOKS__REVOKE_URL": f"{emu}/v2/oauth2/tokens/revoke",
            "QBSYNC_QUICKBOOKS__API_BASE_URL": f"{emu}/sandbox",
            "QBSYNC_QUICKBOOKS__MAX_IN_FLIGHT": str(in_flight),
            "QBSYNC_QUICKBOOKS__REQUESTS_PER_MINUTE": str(per_minute),
            "QBSYNC_AFORO__ORG_URL": emu,
            "QBSYNC_AFORO__METERING_URL": emu,
            "QBSYNC_AFORO__PAYMENT_URL": emu,
            "QBSYNC_AFORO__RATEPLAN_URL": emu,
            "QBSYNC_LOG__LEVEL": "WARNING",
            "QBSYNC_LOG__JSON_FORMAT": "true",
        }
        if per_second is not None:
            env["QBSYNC_QUICKBOOKS__REQUESTS_PER_SECOND"] = str(per_second)
        return {**env, **(extra or {})}

    async def limits(
        self,
        *,
        per_minute: int,
        in_flight: int,
        latency_ms: tuple[int, int],
        extra: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """The same per-realm limits on the emulator and in qbsync; the emulator adds
        ``latency_ms`` (uniform) to every QBO request. Returns qbsync's environment."""
        await self.emulator.configure(
            latency_ms=latency_ms, max_in_flight=in_flight, requests_per_minute=per_minute
        )
        return self.env(per_minute=per_minute, in_flight=in_flight, extra=extra)

    def start(self, name: str, args: list[str], env: dict[str, str]) -> QbsyncProcess:
        process = spawn(name, args, env, self.log_dir)
        self.processes.append(process)
        return process

    async def start_workers(
        self, count: int, env: dict[str, str], *, timeout_s: float = 60.0
    ) -> list[QbsyncProcess]:
        """``count`` ``qbsync worker`` processes, returned once all of them consume."""
        started = [self.start(f"worker-{len(self.processes) + 1}", ["worker"], env)]
        for _ in range(count - 1):
            started.append(self.start(f"worker-{len(self.processes) + 1}", ["worker"], env))
        await self.wait_consumers(count, timeout_s=timeout_s)
        return started

    async def wait_consumers(self, count: int, *, timeout_s: float = 60.0) -> None:
        """Until each work queue has at least ``count`` consumers (bounded)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            consumers = await amqp.consumer_counts(self.amqp)
            if consumers and min(consumers.values()) >= count:
                return
            if asyncio.get_running_loop().time() > deadline:
                dead = [p.name for p in self.processes if not p.alive]
                raise TimeoutError(f"{count} consumers not attached: {consumers}; dead: {dead}")
            await asyncio.sleep(0.3)

    async def start_serve(
        self, env: dict[str, str], *, consumers: int = 1
    ) -> tuple[QbsyncProcess, str]:
        """``qbsync serve`` on a free loopback port (API and consumers); returns its URL once
        it answers and its consumers are attached."""
        port = free_port()
        process = self.start("serve", ["serve", "--host", "127.0.0.1", "--port", str(port)], env)
        await wait_port(port, timeout_s=60, process=process)
        if consumers:
            await self.wait_consumers(consumers)
        return process, f"http://127.0.0.1:{port}"

    def token(
        self, organization_id: int | None, *, operator: bool = False, ttl_s: int = 3600
    ) -> str:
        """An HS256 JWT as the Aforo platform mints them, signed with the run's secret."""
        now = int(time.time())
        claims: dict[str, object] = {"sub": "bench@aforo.example", "iat": now, "exp": now + ttl_s}
        if organization_id is not None:
            claims["organizationId"] = organization_id
        if operator:
            claims["roles"] = ["QBSYNC_OPERATOR"]
        return jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(self.jwt_secret))

    # -- organizations --------------------------------------------------------------------

    async def connect_orgs(
        self, count: int, *, first_id: int = 1001, country: str = "US"
    ) -> list[Org]:
        """``count`` organizations, each connected to a fresh emulated company, as the OAuth
        callback would leave them (tokens Fernet-encrypted with qbsync's key)."""
        cipher = TokenCipher([SecretStr(self.fernet_key)])
        connection = await self.db()
        made: list[Org] = []
        try:
            for n in range(count):
                org_id = first_id + len(self.orgs) + n
                realm = await self.emulator.create_realm(
                    company_name=f"Bench Org {org_id}", country=country
                )
                tokens = await self.emulator.issue_tokens(realm.realm_id)
                now = datetime.now(UTC)
                await connection.execute(
                    """
                    INSERT INTO quickbooks_connection (organization_id, realm_id, environment,
                        company_name, status, access_token_encrypted, refresh_token_encrypted,
                        access_token_expires_at, refresh_token_expires_at, connected_at,
                        last_refreshed_at, settings, created_at, updated_at)
                    VALUES ($1, $2, 'sandbox', $3, 'ACTIVE', $4, $5, $6, $7, $8, $8, '{}',
                        $8, $8)
                    """,
                    org_id,
                    realm.realm_id,
                    realm.company_name,
                    cipher.encrypt(tokens.access_token),
                    cipher.encrypt(tokens.refresh_token),
                    now + timedelta(seconds=tokens.expires_in),
                    now + timedelta(days=100),
                    now,
                )
                made.append(Org(org_id, realm.realm_id))
        finally:
            await connection.close()
        self.orgs += made
        return made
