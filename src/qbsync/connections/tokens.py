"""Access tokens for the QuickBooks client: refreshed ahead of expiry or on a 401, one refresh
per organization at a time across every process, the rotated refresh token always saved."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.connections import repository
from qbsync.connections.crypto import TokenCipher
from qbsync.connections.errors import NeedsReauth, NotConnected, OAuthInvalidGrant
from qbsync.connections.models import ConnectionStatus, QuickBooksConnection
from qbsync.connections.oauth import IntuitOAuth
from qbsync.connections.service import store_tokens
from qbsync.db.base import utcnow
from qbsync.metrics import TOKEN_REFRESHES

log = logging.getLogger(__name__)

_process_locks: dict[int, asyncio.Lock] = {}


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
        async with self._sessionmaker() as session:
            connection = ensure_usable(
                self.organization_id, await repository.get_connection(session, self.organization_id)
            )
            if self._is_fresh(connection):
                assert connection.access_token_encrypted is not None
                return self._cipher.decrypt(connection.access_token_encrypted)
        return await self._refresh(rejected=None)

    async def refresh(self, rejected_token: str) -> str:
        return await self._refresh(rejected=rejected_token)

    def _is_fresh(self, connection: QuickBooksConnection) -> bool:
        return (
            connection.access_token_encrypted is not None
            and connection.access_token_expires_at is not None
            and connection.access_token_expires_at - self._margin > utcnow()
        )

    async def _refresh(self, *, rejected: str | None) -> str:
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
                if current is not None and current != rejected and self._is_fresh(connection):
                    TOKEN_REFRESHES.labels("reused").inc()
                    return current
                assert connection.refresh_token_encrypted is not None
                try:
                    tokens = await self._oauth.refresh(
                        self._cipher.decrypt(connection.refresh_token_encrypted)
                    )
                except OAuthInvalidGrant:
                    # We hold the lock on the latest row, so no other instance refreshed in
                    # between: the grant is really gone. Record it (committed below).
                    connection.status = ConnectionStatus.NEEDS_REAUTH
                    connection.access_token_encrypted = None
                    connection.last_error = "Intuit answered invalid_grant to a token refresh"
                    TOKEN_REFRESHES.labels("invalid_grant").inc()
                    needs_reauth = NeedsReauth(
                        f"organization {self.organization_id} must reconnect QuickBooks",
                        hint="Intuit refused the saved refresh token (invalid_grant); click Connect again",
                    )
                else:
                    store_tokens(connection, tokens, self._cipher, now=utcnow())
                    TOKEN_REFRESHES.labels("refreshed").inc()
                    log.info("quickbooks token refreshed", extra={"org_id": self.organization_id})
                    return tokens.access_token.get_secret_value()
            raise needs_reauth
