"""Intuit OAuth state: authorization codes, grants, rotating refresh tokens, access tokens.

A *grant* is one consent (client + realm). Every refresh returns a new refresh token; the
one used is *retired*. What a retired token still does is ``refresh_token_reuse``:
"grace" (Intuit's documentation: the previous token keeps working for 24 hours after a new
one is issued, quickbooks-api.md §1.6) or "revoke" (reusing it revokes the grant, as newer
reports and OAuth's reuse detection describe, §12.1). Access tokens stay valid until they
expire or their grant is revoked. All methods are synchronous, hence atomic on the loop.
"""

from __future__ import annotations

import base64
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel

from qbo_emulator import clock
from qbo_emulator.config import EmulatorConfig

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
# The protected header of Intuit's JWE access tokens ({"enc":"A128CBC-HS256","alg":"dir"}).
_JWE_HEADER = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0"


class TokenError(Exception):
    """An OAuth error answered by the token endpoint (RFC 6749 §5.2)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


class TokenResponse(BaseModel):
    token_type: str = "bearer"
    access_token: str
    refresh_token: str
    expires_in: int
    x_refresh_token_expires_in: int
    x_refresh_token_hard_expires_in: int | None = None


@dataclass
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    realm_id: str
    scope: str
    expires_at: datetime


@dataclass
class Grant:
    grant_id: str
    client_id: str
    realm_id: str
    scope: str
    hard_expires_at: datetime
    refresh_token: str = ""
    refresh_expires_at: datetime = field(default_factory=clock.now)
    revoked: bool = False
    # Rotated-out refresh tokens and when each was retired.
    retired: dict[str, datetime] = field(default_factory=dict)


@dataclass
class AccessToken:
    grant_id: str
    realm_id: str
    expires_at: datetime


def _b64(size: int) -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(size)).decode().rstrip("=")


def _access_token_value() -> str:
    # Same shape as Intuit's (JWE compact, empty key segment, >1000 characters) so clients
    # that truncate or validate tokens meet the same limits as in production.
    return f"{_JWE_HEADER}..{_b64(16)}.{_b64(800)}.{_b64(16)}"


def _refresh_token_value(expires_at: datetime) -> str:
    alphabet = string.ascii_lowercase + string.digits
    tail = "".join(secrets.choice(alphabet) for _ in range(20))
    return f"RT1-{secrets.randbelow(90) + 10}-H0-{int(expires_at.timestamp())}{tail}"


class TokenStore:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._codes: dict[str, AuthorizationCode] = {}
        self._grants: dict[str, Grant] = {}
        # Every refresh token a grant ever had (current and retired) -> grant id.
        self._by_refresh: dict[str, str] = {}
        self._access: dict[str, AccessToken] = {}

    # -- authorization codes -------------------------------------------------------------

    def issue_code(self, *, client_id: str, redirect_uri: str, realm_id: str, scope: str) -> str:
        code = "AB11" + secrets.token_urlsafe(30)
        expires_at = clock.now() + timedelta(seconds=self.config.authorization_code_ttl_s)
        self._codes[code] = AuthorizationCode(client_id, redirect_uri, realm_id, scope, expires_at)
        return code

    def exchange_code(
        self, code: str, *, client_id: str, redirect_uri: str, include_hard_expiry: bool
    ) -> TokenResponse:
        # pop: a code is single use even when the exchange fails.
        issued = self._codes.pop(code, None)
        if issued is None or issued.client_id != client_id:
            raise TokenError("invalid_grant", "Token invalid")
        if issued.expires_at <= clock.now():
            raise TokenError("invalid_grant", "Token expired")
        if issued.redirect_uri != redirect_uri:
            raise TokenError("invalid_grant", "Redirect URI does not match")
        grant = self._new_grant(client_id=client_id, realm_id=issued.realm_id, scope=issued.scope)
        return self._issue(grant, include_hard_expiry=include_hard_expiry)

    # -- grants --------------------------------------------------------------------------

    def issue_for_realm(
        self, realm_id: str, *, scope: str = ACCOUNTING_SCOPE, include_hard_expiry: bool = False
    ) -> TokenResponse:
        """A fresh grant without the browser (the control API's shortcut for tests)."""
        grant = self._new_grant(client_id=self.config.client_id, realm_id=realm_id, scope=scope)
        return self._issue(grant, include_hard_expiry=include_hard_expiry)

    def refresh(
        self, refresh_token: str, *, client_id: str, include_hard_expiry: bool
    ) -> TokenResponse:
        grant_id = self._by_refresh.get(refresh_token)
        grant = self._grants.get(grant_id) if grant_id else None
        now = clock.now()
        if (
            grant is None
            or grant.revoked
            or grant.client_id != client_id
            or grant.refresh_expires_at <= now
            or grant.hard_expires_at <= now
        ):
            raise TokenError("invalid_grant", "Incorrect or invalid refresh token")
        retired_at = grant.retired.get(refresh_token)
        if retired_at is not None and not self._reuse_allowed(grant, retired_at, now):
            raise TokenError("invalid_grant", "Incorrect or invalid refresh token")
        return self._issue(grant, include_hard_expiry=include_hard_expiry)

    def _reuse_allowed(self, grant: Grant, retired_at: datetime, now: datetime) -> bool:
        if self.config.refresh_token_reuse == "revoke":
            self._revoke_grant(grant)
            return False
        return now < retired_at + timedelta(seconds=self.config.refresh_token_grace_s)

    def revoke(self, token: str) -> bool:
        """Revoke the grant behind a refresh or access token, with all its tokens."""
        grant_id = self._by_refresh.get(token)
        if grant_id is None and token in self._access:
            grant_id = self._access[token].grant_id
        grant = self._grants.get(grant_id) if grant_id else None
        if grant is None:
            return False
        self._revoke_grant(grant)
        return True

    def _revoke_grant(self, grant: Grant) -> None:
        grant.revoked = True
        for value in [grant.refresh_token, *grant.retired]:
            self._by_refresh.pop(value, None)
        for value in [k for k, v in self._access.items() if v.grant_id == grant.grant_id]:
            del self._access[value]

    def _new_grant(self, *, client_id: str, realm_id: str, scope: str) -> Grant:
        hard = clock.now() + timedelta(seconds=self.config.refresh_token_hard_ttl_s)
        grant = Grant(secrets.token_hex(8), client_id, realm_id, scope, hard)
        self._grants[grant.grant_id] = grant
        return grant

    def _issue(self, grant: Grant, *, include_hard_expiry: bool) -> TokenResponse:
        now = clock.now()
        if grant.refresh_token:
            grant.retired[grant.refresh_token] = now  # rotation retires the old token
        if self.config.refresh_token_reuse == "grace":
            # Past its grace a retired token is just unknown; "revoke" keeps them to spot reuse.
            horizon = now - timedelta(seconds=self.config.refresh_token_grace_s)
            for value in [v for v, at in grant.retired.items() if at <= horizon]:
                del grant.retired[value]
                self._by_refresh.pop(value, None)
        grant.refresh_expires_at = now + timedelta(seconds=self.config.refresh_token_ttl_s)
        grant.refresh_token = _refresh_token_value(grant.refresh_expires_at)
        self._by_refresh[grant.refresh_token] = grant.grant_id
        access = _access_token_value()
        ttl = self.config.access_token_ttl_s
        self._access[access] = AccessToken(
            grant.grant_id, grant.realm_id, now + timedelta(seconds=ttl)
        )
        hard_in = int((grant.hard_expires_at - now).total_seconds())
        return TokenResponse(
            access_token=access,
            refresh_token=grant.refresh_token,
            expires_in=ttl,
            x_refresh_token_expires_in=self.config.refresh_token_ttl_s,
            x_refresh_token_hard_expires_in=hard_in if include_hard_expiry else None,
        )

    # -- access tokens -------------------------------------------------------------------

    def check_access(self, token: str | None, realm_id: str) -> str | None:
        """None when ``token`` may call ``realm_id``; else the 3200 Detail to answer with."""
        if not token:
            return "Authorization header is missing or is not a bearer token"
        issued = self._access.get(token)
        if issued is None:
            if len(token) < 500:
                return "Malformed bearer token: too short or too long"
            return "Token revoked or invalid"
        if issued.expires_at <= clock.now():
            return f"Token expired: {token[-40:]}"
        if issued.realm_id != realm_id:
            return f"Token was not issued for company {realm_id}"
        return None

    def expire_access_tokens(self, realm_id: str) -> int:
        past = clock.now() - timedelta(seconds=1)
        expired = 0
        for issued in self._access.values():
            if issued.realm_id == realm_id and issued.expires_at > past:
                issued.expires_at = past
                expired += 1
        return expired

    def set_config(self, config: EmulatorConfig) -> None:
        self.config = config
