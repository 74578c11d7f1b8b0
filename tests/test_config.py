"""Settings: required secrets are named when missing, lists come from flat variables."""

from __future__ import annotations

import pytest

from qbsync.config import Settings, load_settings
from qbsync.errors import SettingsError


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory) -> None:
    # Settings are read from the process environment by design; isolate from the caller's.
    for name in ("JWT_SECRET", "QBSYNC_JWT_SECRET", "QBSYNC_TOKEN_ENCRYPTION_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env from the working tree


@pytest.mark.usefixtures("clean_env")
class TestLoadSettings:
    def test_missing_secrets_are_named(self) -> None:
        with pytest.raises(SettingsError) as caught:
            load_settings()
        message = str(caught.value)
        assert "QBSYNC_JWT_SECRET (or JWT_SECRET) is required but not set" in message
        assert "QBSYNC_TOKEN_ENCRYPTION_KEYS is required but not set" in message

    def test_short_jwt_secret_is_refused_by_name(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("JWT_SECRET", "short")
        monkeypatch.setenv("QBSYNC_TOKEN_ENCRYPTION_KEYS", "k1")
        with pytest.raises(
            SettingsError,
            match=r"QBSYNC_JWT_SECRET \(or JWT_SECRET\) Value error, must be at least 32 bytes long",
        ):
            load_settings()

    def test_platform_jwt_secret_and_flat_lists(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("JWT_SECRET", "s" * 40)
        monkeypatch.setenv("QBSYNC_TOKEN_ENCRYPTION_KEYS", "new-key, old-key")
        monkeypatch.setenv("QBSYNC_AMQP__RETRY_DELAYS_S", "1,2.5,10")
        monkeypatch.setenv("QBSYNC_CORS__ORIGINS", "http://a.example,http://b.example")
        settings = load_settings()
        assert settings.jwt_secret.get_secret_value() == "s" * 40
        assert [k.get_secret_value() for k in settings.token_encryption_keys] == [
            "new-key",
            "old-key",
        ]
        assert settings.amqp.retry_delays_s == [1.0, 2.5, 10.0]
        assert settings.cors.origins == ["http://a.example", "http://b.example"]
        assert settings.server.port == 8095

    def test_work_queues_follow_the_prefix_and_the_older_variables(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("JWT_SECRET", "s" * 40)
        monkeypatch.setenv("QBSYNC_TOKEN_ENCRYPTION_KEYS", "k")
        monkeypatch.setenv("QBSYNC_AMQP__QUEUE_PREFIX", "billing")
        monkeypatch.setenv("QBSYNC_AMQP__INVOICE_QUEUE", "legacy.invoices")
        monkeypatch.setenv("QBSYNC_AMQP__QUEUES", '{"payment.received": "pay.q"}')
        amqp = load_settings().amqp
        assert amqp.work_queue("customer.activated") == "billing.customer.activated"
        assert amqp.work_queue("invoice.created") == "legacy.invoices"
        assert amqp.work_queue("payment.received") == "pay.q"

    def test_nested_value_errors_name_the_variable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("JWT_SECRET", "s" * 40)
        monkeypatch.setenv("QBSYNC_TOKEN_ENCRYPTION_KEYS", "k")
        monkeypatch.setenv("QBSYNC_QUICKBOOKS__ENVIRONMENT", "staging")
        with pytest.raises(SettingsError, match="QBSYNC_QUICKBOOKS__ENVIRONMENT"):
            load_settings()

    def test_secrets_do_not_leak_into_repr(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("JWT_SECRET", "topsecret" * 5)
        monkeypatch.setenv("QBSYNC_TOKEN_ENCRYPTION_KEYS", "fernet-key-material")
        settings = load_settings()
        assert "topsecret" not in repr(settings)
        assert "fernet-key-material" not in repr(settings)


class TestQuickBooksBaseUrl:
    def test_environment_picks_intuit_cluster_unless_overridden(self) -> None:
        sandbox = Settings.model_fields["quickbooks"].default_factory()  # type: ignore[misc]
        assert sandbox.base_url == "https://sandbox-quickbooks.api.intuit.com"
        production = sandbox.model_copy(update={"environment": "production"})
        assert production.base_url == "https://quickbooks.api.intuit.com"


@pytest.mark.usefixtures("clean_env")
class TestPoolRoom:
    def test_the_pool_has_room_for_the_ledger_beside_every_running_sync(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("JWT_SECRET", "s" * 40)
        monkeypatch.setenv("QBSYNC_TOKEN_ENCRYPTION_KEYS", "k1")
        monkeypatch.setenv("QBSYNC_SCHEDULER__CONCURRENCY", "30")
        monkeypatch.setenv("QBSYNC_DB__POOL_SIZE", "20")
        monkeypatch.setenv("QBSYNC_DB__MAX_OVERFLOW", "10")
        with pytest.raises(SettingsError, match=r"QBSYNC_SCHEDULER__CONCURRENCY \+ 2"):
            load_settings()
        monkeypatch.setenv("QBSYNC_DB__MAX_OVERFLOW", "12")
        assert load_settings().scheduler.concurrency == 30
