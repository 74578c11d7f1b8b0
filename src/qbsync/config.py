"""Settings: one ``Settings`` object with nested groups, read from ``QBSYNC_*`` variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    AnyHttpUrl,
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from qbsync.errors import SettingsError

ENV_PREFIX = "QBSYNC_"
NESTED_DELIMITER = "__"

# Intuit's published endpoints (discovery document); overridable so that the emulator can
# stand in for Intuit. https://developer.api.intuit.com/.well-known/openid_configuration
INTUIT_AUTHORIZE_URL = "https://appcenter.intuit.com/connect/oauth2"
INTUIT_TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
INTUIT_REVOKE_URL = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
QBO_PRODUCTION_URL = "https://quickbooks.api.intuit.com"
QBO_SANDBOX_URL = "https://sandbox-quickbooks.api.intuit.com"


def _split_csv(value: Any) -> Any:
    """Accept a comma-separated string where a list is expected (env vars are flat)."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            import json

            return json.loads(stripped)
        return [part.strip() for part in stripped.split(",") if part.strip()]
    return value


class ServerSettings(BaseModel):
    # Loopback unless told otherwise: the Docker image sets 0.0.0.0, a host install sits
    # behind a reverse proxy on the same machine.
    host: str = "127.0.0.1"
    port: int = 8095
    # Base URL under which the UI reaches us; used for absolute links where one is needed.
    public_base_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8095")
    run_consumers: bool = True
    # Slow or hostile clients (see qbsync.server): a request must deliver its headers and
    # then its body within these deadlines; idle kept-alive connections close after
    # keep_alive_s; beyond limit_concurrency connections or requests, answers are 503.
    header_timeout_s: float = Field(default=10.0, gt=0)
    body_timeout_s: float = Field(default=30.0, gt=0)
    max_header_bytes: int = Field(default=64 * 1024, ge=1024)
    keep_alive_s: int = Field(default=5, ge=1)
    limit_concurrency: int = Field(default=512, ge=1)
    backlog: int = Field(default=1024, ge=1)
    shutdown_grace_s: int = Field(default=25, ge=1)
    # Proxies whose X-Forwarded-For / -Proto are believed (comma-separated, or "*").
    forwarded_allow_ips: str = "127.0.0.1"
    # /docs and /openapi.json describe the public contract and stay open unless turned off;
    # /metrics (no tenant data in it) asks for this bearer token when one is set.
    docs_enabled: bool = True
    metrics_token: SecretStr | None = None
    # Request bodies: larger ones are refused with 413 before (Content-Length) or while
    # (chunked) they are read. The webhook is unauthenticated until its body is parsed.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    webhook_max_body_bytes: int = Field(default=16 * 1024, ge=1024)


class DatabaseSettings(BaseModel):
    url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/qbsync"
    # As many as a process keeps busy at month-end (its syncs and groups, the sent-batch
    # ledger, the consumers' enqueues): a connection past the pool is closed when handed
    # back, and a new one costs asyncpg's type introspection (a few ms of CPU) every time.
    pool_size: int = 20
    max_overflow: int = 10
    echo: bool = False
    sync_log_retention_days: int = 90


class AmqpSettings(BaseModel):
    url: str = "amqp://guest:guest@127.0.0.1:5672/"
    exchange: str = "aforo.events"
    # Each registered kind's event gets a work queue "<queue_prefix>.<routing key>"
    # (qbsync.invoice.created), or the name ``queues`` gives its routing key.
    queue_prefix: str = "qbsync"
    queues: dict[str, str] = Field(default_factory=dict)
    retry_exchange: str = "qbsync.retry"
    parking_queue: str = "qbsync.parked"
    retry_delays_s: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: [5.0, 30.0, 120.0, 600.0, 3600.0]
    )
    prefetch: int = 32
    concurrency: int = 16
    max_body_bytes: int = 256 * 1024
    # Deliveries of one message (redeliveries after a hand-back or a lost channel included)
    # before the broker parks it: the backstop that keeps any message from looping forever.
    delivery_limit: int = Field(default=50, ge=1)
    shutdown_grace_s: float = 20.0
    reconnect_interval_s: float = 5.0

    _split = field_validator("retry_delays_s", mode="before")(_split_csv)

    @model_validator(mode="before")
    @classmethod
    def _legacy_queue_names(cls, data: Any) -> Any:
        """QBSYNC_AMQP__CUSTOMER_QUEUE and its kin, from before the kind registry, still name
        their work queues (``queues`` wins where both are set)."""
        if not isinstance(data, dict):
            return data
        legacy = {key: data.pop(field) for field, key in _LEGACY_QUEUES.items() if field in data}
        if legacy:
            data["queues"] = {**legacy, **(data.get("queues") or {})}
        return data

    def work_queue(self, routing_key: str) -> str:
        return self.queues.get(routing_key) or f"{self.queue_prefix}.{routing_key}"


_LEGACY_QUEUES = {
    "customer_queue": "customer.activated",
    "invoice_queue": "invoice.created",
    "payment_queue": "payment.received",
}


# Connections beyond the scheduler's concurrency for the sent-batch ledger
# (scheduler/sent_batches.py), whose short transactions run beside the syncs' own.
LEDGER_ROOM = 2


class SchedulerSettings(BaseModel):
    """Pending QuickBooks work, run per realm under a lease (docs/scheduling.md)."""

    # Syncs one process runs at once, shared by every realm it serves.
    concurrency: int = 16
    # Realms one process serves at a time (each under a lease).
    max_realms: int = 16
    # Syncs of one realm running at once (its requests are paced by the realm's limiter).
    realm_concurrency: int = 8
    # A lease not renewed for this long is taken over by another instance.
    lease_s: float = 30.0
    # After this long serving a realm, an instance at ``max_realms`` hands it on when
    # other realms are waiting.
    turn_s: float = 10.0
    # How often an instance looks for realms to serve while it finds some; while it finds
    # none the interval doubles up to ``idle_poll_max_s`` (new work notifies it meanwhile).
    poll_interval_s: float = 0.25
    idle_poll_max_s: float = 2.0
    retry_delays_s: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: [5.0, 30.0, 120.0, 600.0, 3600.0]
    )
    # How long a manual sync route waits for its result before answering 202 (queued).
    manual_wait_s: float = 60.0
    # A realm's burst of one kind shares batch requests (docs/scheduling.md, "Bursts");
    # false: every work sends its own requests.
    batch_bursts: bool = True

    _split = field_validator("retry_delays_s", mode="before")(_split_csv)


class ConsoleSettings(BaseModel):
    """The operations console at /console (its Work screen's history, sampled in process)."""

    # How often each serving process samples pending work and realm use for the charts.
    trend_sample_s: float = Field(default=10.0, gt=0)
    # How far back the charts go (kept in memory, per process).
    trend_window_s: float = Field(default=2 * 3600.0, gt=0)


class QuickBooksSettings(BaseModel):
    environment: Literal["sandbox", "production"] = "sandbox"
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    redirect_uri: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8095/api/quickbooks/callback")
    scope: str = "com.intuit.quickbooks.accounting"
    authorize_url: AnyHttpUrl = AnyHttpUrl(INTUIT_AUTHORIZE_URL)
    token_url: AnyHttpUrl = AnyHttpUrl(INTUIT_TOKEN_URL)
    revoke_url: AnyHttpUrl = AnyHttpUrl(INTUIT_REVOKE_URL)
    # None: the Intuit base URL of ``environment``. Set it to point at the emulator.
    api_base_url: AnyHttpUrl | None = None
    minor_version: int = 75
    user_agent: str = "qbsync/0.1 (+https://aforo.space)"
    timeout_s: float = 30.0
    max_in_flight: int = 10
    requests_per_minute: int = 500
    # None: Intuit's 10 per second, or less when the per-minute budget is smaller.
    requests_per_second: int | None = None
    max_attempts: int = 5
    max_backoff_s: float = 30.0
    # Batch requests per realm per minute (QBO: 40 per app, 120 for all apps).
    batches_per_minute: int = Field(default=40, ge=1)
    # Backfills write their creates 30 to a batch request from the process that starts
    # them (docs/quickbooks-cost.md); false: one event per record through the queues.
    backfill_in_batches: bool = True
    # Billable reads (queries, reads by id, reports, PDFs, CDC) per calendar month (UTC) for
    # every organization together: Intuit's free tier is 500,000; 0 means no budget. Past
    # the soft share optional reads wait for next month; past the hard share only the
    # reads a write needs are made. Writes are never held back.
    monthly_read_budget: int = Field(default=500_000, ge=0)
    read_soft_share: float = Field(default=0.8, gt=0, le=1)
    read_hard_share: float = Field(default=0.95, gt=0, le=1)
    # How often each process adds its counted reads to the shared table and reads the total.
    read_flush_s: float = Field(default=10.0, gt=0)
    # Where the OAuth callback sends the browser after it is done; None renders a page.
    ui_redirect_url: AnyHttpUrl | None = None
    allow_company_switch: bool = False
    refresh_margin_s: float = 300.0
    keepalive_interval_s: float = 6 * 3600.0
    # The app's webhook verifier token (Intuit developer portal); unset: webhooks refused.
    webhook_verifier_token: SecretStr | None = None
    # How often each connected company is swept with CDC for changes webhooks missed.
    cdc_sweep_interval_s: float = 6 * 3600.0

    @property
    def base_url(self) -> str:
        if self.api_base_url is not None:
            return str(self.api_base_url).rstrip("/")
        return QBO_PRODUCTION_URL if self.environment == "production" else QBO_SANDBOX_URL


class AforoSettings(BaseModel):
    org_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8081")
    metering_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8092")
    payment_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8093")
    rateplan_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8080")
    timeout_s: float = 10.0
    service_token_ttl_s: int = 300


class AuthSettings(BaseModel):
    jwks_url: AnyHttpUrl | None = None
    # A token whose ``operator_claim`` holds ``operator_value`` (or lists it) may read and act
    # on every organization.
    operator_claim: str = "roles"
    operator_value: str = "QBSYNC_OPERATOR"
    leeway_s: int = 60
    pdf_link_ttl_s: int = 7 * 24 * 3600


class CorsSettings(BaseModel):
    origins: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["http://ui.dev.aforo.space", "http://localhost:3000"]
    )
    origin_regex: str | None = (
        r"^https?://(localhost|127\.0\.0\.1)(:\d+)?$|^https?://([a-z0-9-]+\.)*aforo\.space(:\d+)?$"
    )

    _split = field_validator("origins", mode="before")(_split_csv)


class LogSettings(BaseModel):
    level: str = "INFO"
    json_format: bool = False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTED_DELIMITER,
        env_file=".env",
        extra="ignore",
    )

    service_name: str = "quickbooks-integration"
    # The platform's shared HS256 secret; Aforo services call it JWT_SECRET.
    jwt_secret: SecretStr = Field(validation_alias=AliasChoices("QBSYNC_JWT_SECRET", "JWT_SECRET"))
    # Fernet keys, newest first: the first encrypts, all of them decrypt (rotation).
    token_encryption_keys: Annotated[list[SecretStr], NoDecode] = Field(min_length=1)

    server: ServerSettings = Field(default_factory=ServerSettings)
    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    amqp: AmqpSettings = Field(default_factory=AmqpSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    quickbooks: QuickBooksSettings = Field(default_factory=QuickBooksSettings)
    aforo: AforoSettings = Field(default_factory=AforoSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    cors: CorsSettings = Field(default_factory=CorsSettings)
    log: LogSettings = Field(default_factory=LogSettings)

    _split = field_validator("token_encryption_keys", mode="before")(_split_csv)

    @model_validator(mode="after")
    def _pool_fits_consumers(self) -> Settings:
        # Each handler holds one connection for its unit of work while it talks to QBO.
        if self.db.pool_size + self.db.max_overflow < self.amqp.concurrency:
            raise ValueError(
                "QBSYNC_DB__POOL_SIZE + QBSYNC_DB__MAX_OVERFLOW must be at least "
                "QBSYNC_AMQP__CONCURRENCY, or handlers wait for database connections"
            )
        # Each running sync (or burst's group) holds one connection for its unit of work
        # while it talks to QBO, and its creates consult the sent-batch ledger on another,
        # briefly (a burst's batches record there too while the group holds its own): with
        # no connection to spare they would all wait on each other until the pool times out.
        if self.db.pool_size + self.db.max_overflow < self.scheduler.concurrency + LEDGER_ROOM:
            raise ValueError(
                "QBSYNC_DB__POOL_SIZE + QBSYNC_DB__MAX_OVERFLOW must be at least "
                f"QBSYNC_SCHEDULER__CONCURRENCY + {LEDGER_ROOM}, or syncs wait for database "
                "connections (the sent-batch ledger's reads and writes need room of their own)"
            )
        return self

    @field_validator("jwt_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        # The Java services refuse HS256 keys under 256 bits; so do we.
        if len(value.get_secret_value().encode()) < 32:
            raise ValueError("must be at least 32 bytes long")
        return value


def env_name(loc: tuple[int | str, ...]) -> str:
    """The environment variable behind a validation error location."""
    if loc and loc[0] == "QBSYNC_JWT_SECRET":
        return "QBSYNC_JWT_SECRET (or JWT_SECRET)"
    return (
        ENV_PREFIX
        + NESTED_DELIMITER.join(str(part) for part in loc if isinstance(part, str)).upper()
    )


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, turning pydantic's report into one that names the variables; in
    production, refuse what is unsafe there (``qbsync.production``)."""
    from qbsync.production import unsafe_settings

    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            reason = "is required but not set" if error["type"] == "missing" else error["msg"]
            problems.append(f"{env_name(tuple(error['loc']))} {reason}" if error["loc"] else reason)
        raise SettingsError("invalid settings: " + "; ".join(problems)) from None
    unsafe = unsafe_settings(settings)
    if unsafe:
        raise SettingsError("unsafe settings for production: " + "; ".join(unsafe))
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
