"""The production guard: qbsync refuses to start against real Intuit with a laptop's settings."""

from __future__ import annotations

import secrets

import pytest

from qbsync.cli import main
from qbsync.config import SettingsError, get_settings, load_settings
from qbsync.production import secret_bits

EMULATOR = "http://127.0.0.1:8096"
# What scripts/dev-env.sh writes, with a weak secret of the review's kind.
LAPTOP = {
    "QBSYNC_JWT_SECRET": "a" * 32,
    "QBSYNC_TOKEN_ENCRYPTION_KEYS": "k",
    "QBSYNC_QUICKBOOKS__CLIENT_ID": "emulator-client-id",
    "QBSYNC_QUICKBOOKS__CLIENT_SECRET": "emulator-client-secret",
    "QBSYNC_QUICKBOOKS__REDIRECT_URI": "http://127.0.0.1:8095/api/quickbooks/callback",
    "QBSYNC_QUICKBOOKS__AUTHORIZE_URL": f"{EMULATOR}/connect/oauth2",
    "QBSYNC_QUICKBOOKS__TOKEN_URL": f"{EMULATOR}/oauth2/v1/tokens/bearer",
    "QBSYNC_QUICKBOOKS__REVOKE_URL": f"{EMULATOR}/v2/oauth2/tokens/revoke",
    "QBSYNC_QUICKBOOKS__API_BASE_URL": f"{EMULATOR}/sandbox",
}
PRODUCTION = {
    "QBSYNC_JWT_SECRET": secrets.token_urlsafe(32),
    "QBSYNC_TOKEN_ENCRYPTION_KEYS": "k",
    "QBSYNC_QUICKBOOKS__ENVIRONMENT": "production",
    "QBSYNC_QUICKBOOKS__CLIENT_ID": "ABcd1234RealIntuitClientId",
    "QBSYNC_QUICKBOOKS__CLIENT_SECRET": secrets.token_urlsafe(30),
    "QBSYNC_QUICKBOOKS__REDIRECT_URI": "https://qb.aforo.space/api/quickbooks/callback",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory):
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    for name in ("JWT_SECRET", *LAPTOP, *PRODUCTION):
        monkeypatch.delenv(name, raising=False)

    def apply(values: dict[str, str]) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return apply


def test_a_laptop_configuration_is_refused_in_production_naming_every_problem(env) -> None:
    env({**LAPTOP, "QBSYNC_QUICKBOOKS__ENVIRONMENT": "production"})
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    for name in (
        "QBSYNC_QUICKBOOKS__AUTHORIZE_URL",
        "QBSYNC_QUICKBOOKS__TOKEN_URL",
        "QBSYNC_QUICKBOOKS__REVOKE_URL",
        "QBSYNC_QUICKBOOKS__API_BASE_URL",
        "QBSYNC_QUICKBOOKS__CLIENT_ID",
        "QBSYNC_QUICKBOOKS__CLIENT_SECRET",
        "QBSYNC_QUICKBOOKS__REDIRECT_URI",
        "QBSYNC_JWT_SECRET",
    ):
        assert name in message
    assert "emulator-client-secret" not in message  # naming a secret, never showing it


def test_the_same_configuration_runs_in_the_sandbox(env) -> None:
    env(LAPTOP)
    assert load_settings().quickbooks.environment == "sandbox"


def test_a_real_production_configuration_starts(env) -> None:
    env(PRODUCTION)
    settings = load_settings()
    assert settings.quickbooks.base_url == "https://quickbooks.api.intuit.com"


@pytest.mark.parametrize(
    "secret",
    [
        "a" * 32,
        "ab" * 20,
        "change-me-please-change-me-please!",
        "my-jwt-secret-for-aforo-platform-2024",
    ],
)
def test_weak_jwt_secrets_are_refused_in_production(env, secret: str) -> None:
    env({**PRODUCTION, "QBSYNC_JWT_SECRET": secret})
    with pytest.raises(SettingsError, match=r"QBSYNC_JWT_SECRET \(or JWT_SECRET\)"):
        load_settings()


def test_the_serve_command_stops_with_the_names(env, capsys: pytest.CaptureFixture[str]) -> None:
    env({**PRODUCTION, "QBSYNC_QUICKBOOKS__TOKEN_URL": f"{EMULATOR}/oauth2/v1/tokens/bearer"})
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as stopped:
            main(["serve"])
    finally:
        get_settings.cache_clear()
    assert stopped.value.code == 2
    assert "QBSYNC_QUICKBOOKS__TOKEN_URL must be Intuit's https endpoint" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("secret", "at_least", "below"),
    [
        ("a" * 32, 0, 1),
        (secrets.token_urlsafe(32), 150, 400),
        (secrets.token_hex(32), 200, 300),
    ],
)
def test_secret_bits(secret: str, at_least: float, below: float) -> None:
    assert at_least <= secret_bits(secret) < below
