"""The production guard: settings that are fine on a laptop and unsafe against real Intuit.

With ``QBSYNC_QUICKBOOKS__ENVIRONMENT=production`` qbsync refuses to start while any of
these hold, and the message names each variable: Intuit endpoints pointed elsewhere (the
emulator), a missing or emulator client id/secret, a redirect URI without https, a JWT
secret that is a placeholder or too guessable to sign tokens with.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from qbsync.config import Settings

INTUIT_DOMAIN = "intuit.com"
# Shannon estimate of the secret's bits; 32 random bytes in base64 carry ~190.
MIN_SECRET_BITS = 128
_PLACEHOLDERS = ("change", "example", "placeholder", "secret", "password", "default", "test")
_PLACEHOLDER_CREDENTIALS = ("emulator", "change", "example", "placeholder", "dummy", "test")


def _is_intuit(url: object) -> bool:
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    return parts.scheme == "https" and (host == INTUIT_DOMAIN or host.endswith("." + INTUIT_DOMAIN))


def secret_bits(secret: str) -> float:
    """How many bits an attacker must guess, estimated from the character frequencies."""
    if not secret:
        return 0.0
    counts = Counter(secret)
    per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    return per_char * len(secret)


def _weak_secret(secret: str) -> str | None:
    lowered = secret.lower()
    if any(word in lowered for word in _PLACEHOLDERS):
        return "looks like a placeholder"
    if secret_bits(secret) < MIN_SECRET_BITS:
        return "is too guessable (use 32 random bytes, e.g. `openssl rand -base64 32`)"
    return None


def _placeholder(value: str) -> bool:
    lowered = value.lower()
    return not value or any(word in lowered for word in _PLACEHOLDER_CREDENTIALS)


def unsafe_settings(settings: Settings) -> list[str]:
    """What is unsafe for production, one "VARIABLE problem" each; empty when all is well
    or when the environment is not production."""
    qbo = settings.quickbooks
    if qbo.environment != "production":
        return []
    problems = [
        f"QBSYNC_QUICKBOOKS__{name.upper()} must be Intuit's https endpoint, not {url}"
        for name, url in (
            ("authorize_url", qbo.authorize_url),
            ("token_url", qbo.token_url),
            ("revoke_url", qbo.revoke_url),
        )
        if not _is_intuit(url)
    ]
    if qbo.api_base_url is not None and not _is_intuit(qbo.api_base_url):
        problems.append(
            f"QBSYNC_QUICKBOOKS__API_BASE_URL must be unset (Intuit's) in production, "
            f"not {qbo.api_base_url}"
        )
    if _placeholder(qbo.client_id):
        problems.append("QBSYNC_QUICKBOOKS__CLIENT_ID must be your Intuit app's client id")
    if _placeholder(qbo.client_secret.get_secret_value()):
        problems.append("QBSYNC_QUICKBOOKS__CLIENT_SECRET must be your Intuit app's secret")
    if urlsplit(str(qbo.redirect_uri)).scheme != "https":
        problems.append("QBSYNC_QUICKBOOKS__REDIRECT_URI must be https (Intuit requires it)")
    weak = _weak_secret(settings.jwt_secret.get_secret_value())
    if weak:
        problems.append(f"QBSYNC_JWT_SECRET (or JWT_SECRET) {weak}")
    return problems
