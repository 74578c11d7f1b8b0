"""Service-to-service credentials for the Aforo services: HS256 tokens on the shared secret."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from pydantic import SecretStr

from qbsync.ids import parse_id

ALGORITHM = "HS256"
SUBJECT = "qbsync"
ISSUER = "aforo-qbsync"
# The keys the Aforo services read the tenant from, in their order (metering's JwtTenantFilter).
ORG_CLAIMS = ("organizationId", "orgId", "tenantId", "organization_id", "org_id", "tenant")
# A caller's token is forwarded only while it outlives a request plus its retries by this much.
FORWARD_MIN_REMAINING_S = 60
# A minted token is reused until this close to its expiry.
MINTED_REFRESH_MARGIN_S = 30


def _key(secret: SecretStr) -> OctKey:
    return OctKey.import_key(secret.get_secret_value())


def mint_service_token(
    secret: SecretStr,
    *,
    organization_id: int,
    ttl_s: int,
    now: datetime | None = None,
    extra_claims: Mapping[str, object] | None = None,
) -> str:
    """A token shaped like metering's own service token, issued by qbsync for one org
    (``extra_claims``: e.g. the operator role, for trying the operator routes by hand)."""
    issued_at = int((now or datetime.now(UTC)).timestamp())
    claims = {
        "sub": SUBJECT,
        "iss": ISSUER,
        "organizationId": organization_id,
        "orgId": organization_id,
        "type": "service",
        "service": SUBJECT,
        "iat": issued_at,
        "exp": issued_at + ttl_s,
        **(extra_claims or {}),
    }
    return jwt.encode({"alg": ALGORITHM}, claims, _key(secret), algorithms=[ALGORITHM])


def org_id_from_claims(claims: Mapping[str, object]) -> int | None:
    """The organization a token names: the first org claim present, as the Aforo services
    pick it (a number or numeric string). A present claim that is no valid id (0, -1, 2^70,
    "abc") names no organization rather than letting a later claim stand in for it."""
    for name in ORG_CLAIMS:
        value = claims.get(name)
        if value is not None:
            return parse_id(value)
    return None


@dataclass(frozen=True)
class _Minted:
    token: str
    expires_at: int


class AforoCredentials:
    """Builds the headers for one call: a caller's token when it is still good, else our own.

    Tokens we mint are cached per organization, so a burst of calls signs once.
    """

    def __init__(
        self,
        secret: SecretStr,
        ttl_s: int,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._secret = secret
        self._key = _key(secret)
        self._ttl_s = ttl_s
        self._clock = clock or (lambda: datetime.now(UTC))
        self._minted: dict[int, _Minted] = {}

    def headers_for(self, org_id: int, *, caller_token: str | None = None) -> dict[str, str]:
        if caller_token is not None:
            caller_token = caller_token.removeprefix("Bearer ").strip()
        if caller_token and self._is_forwardable(caller_token, org_id):
            token = caller_token
        else:
            token = self._service_token(org_id)
        return {"Authorization": f"Bearer {token}", "X-Organization-Id": str(org_id)}

    def _now_s(self) -> int:
        return int(self._clock().timestamp())

    def _is_forwardable(self, token: str, org_id: int) -> bool:
        """Signed with our secret, for this org, and valid for at least another minute."""
        try:
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM]).claims
        except (JoseError, ValueError):
            return False
        now = self._now_s()
        expires_at = claims.get("exp")
        if not isinstance(expires_at, int | float) or expires_at - now < FORWARD_MIN_REMAINING_S:
            return False
        not_before = claims.get("nbf")
        if isinstance(not_before, int | float) and not_before > now:
            return False
        return org_id_from_claims(claims) == org_id

    def _service_token(self, org_id: int) -> str:
        now = self._now_s()
        cached = self._minted.get(org_id)
        if cached is not None and cached.expires_at - now > MINTED_REFRESH_MARGIN_S:
            return cached.token
        token = mint_service_token(
            self._secret,
            organization_id=org_id,
            ttl_s=self._ttl_s,
            now=datetime.fromtimestamp(now, UTC),
        )
        self._minted[org_id] = _Minted(token=token, expires_at=now + self._ttl_s)
        return token
