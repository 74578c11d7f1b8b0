"""Settings for tests: built directly, never from the developer's .env or os.environ edits."""

from __future__ import annotations

import os
import uuid
from typing import Any

from cryptography.fernet import Fernet

from qbsync.config import Settings
from tests.amqp_cleanup import CREATED

# Each test run gets its own databases (suffix below), so that two runs on one machine
# (a developer's and CI's, say) never drop each other's database mid-run.
RUN_TAG = uuid.uuid4().hex[:8]
_BASE_DATABASE_URL = os.environ.get(
    "QBSYNC_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/qbsync_test"
)
TEST_DATABASE_URL = (
    _BASE_DATABASE_URL.rsplit("/", 1)[0] + f"/{_BASE_DATABASE_URL.rsplit('/', 1)[1]}_{RUN_TAG}"
)
TEST_AMQP_URL = os.environ.get("QBSYNC_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
TEST_JWT_SECRET = "test-secret-that-is-at-least-32-bytes-long!"
TEST_FERNET_KEY = Fernet.generate_key().decode()


def unique_amqp_names(prefix: str = "t") -> dict[str, Any]:
    """Exchange and queue names no other test uses, so tests never see each other's messages."""
    tag = f"{prefix}.{uuid.uuid4().hex[:10]}"
    return {
        "url": TEST_AMQP_URL,
        "exchange": f"{tag}.events",
        "queue_prefix": tag,
        "retry_exchange": f"{tag}.retry",
        "parking_queue": f"{tag}.parked",
    }


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "jwt_secret": TEST_JWT_SECRET,
        "token_encryption_keys": [TEST_FERNET_KEY],
        "db": {"url": TEST_DATABASE_URL, "pool_size": 8, "max_overflow": 10},
        "amqp": unique_amqp_names(),
        "server": {"run_consumers": False},
        "log": {"level": "WARNING"},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            values[key] = {**values[key], **value}
        else:
            values[key] = value
    settings = Settings(_env_file=None, **values)
    CREATED.append(settings.amqp)
    return settings


# qbsync's OAuth callback, registered with the emulated Intuit app (tests/conftest.py).
REDIRECT_URI = "http://127.0.0.1:8095/api/quickbooks/callback"


def emulator_endpoints(base_url: str) -> dict[str, Any]:
    """Settings groups that point qbsync at the emulator's Intuit and the Aforo stubs."""
    return {
        "quickbooks": {
            "client_id": "emulator-client-id",
            "client_secret": "emulator-client-secret",
            "authorize_url": f"{base_url}/connect/oauth2",
            "token_url": f"{base_url}/oauth2/v1/tokens/bearer",
            "revoke_url": f"{base_url}/v2/oauth2/tokens/revoke",
            "api_base_url": f"{base_url}/sandbox",
            "redirect_uri": REDIRECT_URI,
            "max_backoff_s": 0.2,
            "timeout_s": 5.0,
        },
        "aforo": {
            "org_url": base_url,
            "metering_url": base_url,
            "payment_url": base_url,
            "rateplan_url": base_url,
        },
    }
