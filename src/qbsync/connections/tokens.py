"""Access tokens for the QuickBooks client: refreshed ahead of expiry or on a 401, one refresh
per organization at a time across every process, the rotated refresh token always saved."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.connections import repository
from qbsync.connections.crypto import TokenCipher
from qbsync.connections.errors import NeedsReauth, NotConnected, OAuthInvalidGrant
from qbsync.connections.models import ConnectionStatus, QuickBooksConnection
from qbsync.connections.oauth import IntuitOAuth, TokenSet
from qbsync.db.base import utcnow
from qbsync.metrics import TOKEN_REFRESHES

log = logging.getLogger(__name__)

_process_locks: dict[int, asyncio.Lock] = {}
# Access tokens this process holds, by organization: most calls then need no database at
# all. Another process refreshing does not make ours invalid (Intuit keeps an access token
# valid until it expires), and a revoked one comes back as a 401, which refreshes.
_cached: dict[int, tuple[str, datetime]] = {}
# A token Intuit issued minutes ago and already refuses did not expire: the grant does not
# reach the company (a forged realmId, a user who lost access). After this many such
# refusals in a row the connection needs re-authorizing, instead of failing with 401 forever.
FRESH_TOKEN_AGE = timedelta(minutes=5)
REFUSALS_BEFORE_REAUTH = 3
_refusals: dict[int, int] = {}


def store_tokens(
    connection: QuickBooksConnection, tokens: TokenSet, cipher: TokenCipher, *, now: datetime
) -> None:
    connection.access_token_encrypted = cipher.encrypt(tokens.access_token.get_secret_value())
    connection.refresh_token_encrypted = cipher.encrypt(tokens.refresh_token.get_secret_value())
    connection.access_token_expires_at = tokens.access_expires_at(now)
    connection.refresh_token_expires_at = tokens.refresh_expires_at(now)
    connection.refresh_token_hard_expires_at = (
        tokens.hard_expires_at(now) or connection.refresh_token_hard_expires_at
    )
    connection.last_refreshed_at = now


def forget_token(organization_id: int) -> None:
    _cached.pop(organization_id, None)


def _lock_for(organization_id: int) -> asyncio.Lock:
    # In-process single flight first, so that concurrent tasks queue here rather than on a
    # database row lock each holding a pooled connection.
    return _process_locks.setdefault(organization_id, asyncio.Lock())


def ensure_usable(
    organization_id: int, connection: QuickBooksConnection | None
) -> QuickBooksConnection:
    if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
        raise NotConnected(
            f"organization {organization_id} has no QuickBooks connection",
            hint="connect QuickBooks from the Aforo integrations page",
        )
    if connection.status == ConnectionStatus.NEEDS_REAUTH:
        raise NeedsReauth(
            f"organization {organization_id} must reconnect QuickBooks",
            hint="Intuit refused the saved refresh token; click Connect again",
        )
    return connection


class ConnectionTokens:
    """The QuickBooks client's TokenProvider for one organization.

    It works in its own short transactions, not the caller's: once Intuit has rotated a
    refresh token, the new one must be stored even if the caller's unit of work rolls back."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        oauth: IntuitOAuth,
        cipher: TokenCipher,
        organization_id: int,
        refresh_margin_s: float,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._oauth = oauth
        self._cipher = cipher
        self.organization_id = organization_id
        self._margin = timedelta(seconds=refresh_margin_s)

    async def get_token(self) -> str:
        cached = _cached.get(self.organization_id)
        if cached is not None and cached[1] - self._margin > utcnow():
            return cached[0]
        async with self._sessionmaker() as session:
            connection = ensure_usable(
                self.organization_id, await repository.get_connection(session, self.organization_id)
            )
            if self._is_fresh(connection):
                return self._remember(connection)
        token = await self._refresh(rejected=None)
        assert token is not None
        return token

    async def refresh_if_idle(self, *, refreshed_before: datetime) -> bool:
        """Use the refresh token if nobody has since ``refreshed_before``: Intuit's refresh
        tokens expire after ~100 days without use. True when it refreshed."""
        return await self._refresh(rejected=None, idle_before=refreshed_before) is not None

    async def refresh(self, rejected_token: str) -> str:
        cached = _cached.get(self.organization_id)
        if cached is not None and cached[0] == rejected_token:
            del _cached[self.organization_id]
        token = await self._refresh(rejected=rejected_token)
        assert token is not None
        return token

    def _remember(self, connection: QuickBooksConnection) -> str:
        assert connection.access_token_encrypted is not None
        assert connection.access_token_expires_at is not None
        token = self._cipher.decrypt(connection.access_token_encrypted)
        _cached[self.organization_id] = (token, connection.access_token_expires_at)
        return token

    def _is_fresh(self, connection: QuickBooksConnection) -> bool:
        return (
            connection.access_token_encrypted is not None
            and connection.access_token_expires_at is not None
            and connection.access_token_expires_at - self._margin > utcnow()
        )

    async def _refresh(
        self, *, rejected: str | None, idle_before: datetime | None = None
    ) -> str | None:
        """Refresh under the row lock. With ``idle_before`` (keep-alive) it refreshes only a
        connection nobody refreshed since, and returns None when there was nothing to do."""
        async with _lock_for(self.organization_id):
            needs_reauth: NeedsReauth | None = None
            async with self._sessionmaker.begin() as session:
                # The row lock makes the refresh single-flight across processes; whoever
                # waited here re-reads what the winner stored and uses it.
                connection = ensure_usable(
                    self.organization_id,
                    await repository.get_connection(session, self.organization_id, for_update=True),
                )
                current = (
                    self._cipher.decrypt(connection.access_token_encrypted)
                    if connection.access_token_encrypted
                    else None
                )
                if idle_before is not None:
                    if (
                        connection.last_refreshed_at is not None
                        and connection.last_refreshed_at >= idle_before
                    ):
                        return None
                elif current is not None and current != rejected and self._is_fresh(connection):
                    TOKEN_REFRESHES.labels("reused").inc()
                    return self._remember(connection)
                if rejected is not None and current == rejected:
                    needs_reauth = self._count_refusal(connection)
                if needs_reauth is None:
                    assert connection.refresh_token_encrypted is not None
                    try:
                        tokens = await self._oauth.refresh(
                            self._cipher.decrypt(connection.refresh_token_encrypted)
                        )
                    except OAuthInvalidGrant:
                        # We hold the lock on the latest row, so no other instance refreshed
                        # in between: the grant is really gone. Recorded (committed below).
                        TOKEN_REFRESHES.labels("invalid_grant").inc()
                        needs_reauth = self._needs_reauth(
                            connection,
                            "Intuit answered invalid_grant to a token refresh",
                            hint="Intuit refused the saved refresh token (invalid_grant); "
                            "click Connect again",
                        )
                    else:
                        store_tokens(connection, tokens, self._cipher, now=utcnow())
                        TOKEN_REFRESHES.labels("refreshed").inc()
                        self._remember(connection)
                        log.info(
                            "quickbooks token refreshed", extra={"org_id": self.organization_id}
                        )
                        return tokens.access_token.get_secret_value()
            raise needs_reauth

    def _count_refusal(self, connection: QuickBooksConnection) -> NeedsReauth | None:
        """Count a refusal of the stored token; NeedsReauth once fresh ones keep failing."""
        issued = connection.last_refreshed_at
        if issued is None or utcnow() - issued > FRESH_TOKEN_AGE:
            _refusals.pop(self.organization_id, None)  # an old token: an ordinary expiry
            return None
        refusals = _refusals.get(self.organization_id, 0) + 1
        _refusals[self.organization_id] = refusals
        if refusals < REFUSALS_BEFORE_REAUTH:
            return None
        _refusals.pop(self.organization_id, None)
        log.warning(
            "fresh quickbooks tokens keep being refused",
            extra={"org_id": self.organization_id, "realm_id": connection.realm_id},
        )
        return self._needs_reauth(
            connection,
            f"QuickBooks refused {refusals} freshly issued access tokens in a row (401): "
            f"the authorization does not reach company {connection.realm_id}",
            hint="click Connect again and pick the right company on Intuit's page",
        )

    def _needs_reauth(
        self, connection: QuickBooksConnection, reason: str, *, hint: str
    ) -> NeedsReauth:
        connection.status = ConnectionStatus.NEEDS_REAUTH
        connection.access_token_encrypted = None
        connection.last_error = reason
        _cached.pop(self.organization_id, None)
        return NeedsReauth(
            f"organization {self.organization_id} must reconnect QuickBooks", hint=hint
        )
