"""JWTs as the Aforo platform mints them (HS256 with the shared secret), for tests."""

from __future__ import annotations

import time
from typing import Any

from joserfc import jwt
from joserfc.jwk import OctKey

from tests.settings import TEST_JWT_SECRET


def make_jwt(
    org_id: int | str | None = None,
    *,
    secret: str = TEST_JWT_SECRET,
    ttl_s: int = 3600,
    claim: str = "organizationId",
    alg: str = "HS256",
    **claims: Any,
) -> str:
    now = int(time.time())
    body: dict[str, Any] = {"sub": "user@example.com", "iat": now, "exp": now + ttl_s, **claims}
    if org_id is not None:
        body[claim] = org_id
    return jwt.encode({"alg": alg}, body, OctKey.import_key(secret))


def auth_headers(org_id: int, **claims: Any) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {make_jwt(org_id, **claims)}",
        "X-Organization-Id": str(org_id),
        "Content-Type": "application/json",
    }
