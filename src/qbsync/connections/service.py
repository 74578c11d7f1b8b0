"""Connect, callback, disconnect and status: the OAuth lifecycle of one organization."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.config import QuickBooksSettings
from qbsync.connections import repository
from qbsync.connections.crypto import TokenCipher
from qbsync.connections.errors import (
    CompanySwitchRefused,
    OAuthDenied,
    OAuthStateInvalid,
)
from qbsync.connections.models import ConnectionStatus, OAuthState, QuickBooksConnection
from qbsync.connections.oauth import IntuitOAuth
from qbsync.connections.tokens import forget_token, store_tokens
from qbsync.db.base import utcnow
from qbsync.errors import InvalidInput, QbsyncError

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
MAX_USER_ID_LENGTH = 255  # quickbooks_oauth_state.user_id

# Reads the company name with a fresh access token; None when it cannot be read.
CompanyNameReader = Callable[[str, str], Awaitable[str | None]]


def hash_state(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


@dataclass(frozen=True)
class ConnectStart:
    auth_url: str
    expires_at: datetime


@dataclass(frozen=True)
class Connected:
    organization_id: int
    realm_id: str
    company_name: str | None
    reconnected: bool


async def start_connect(
    session: AsyncSession,
    *,
    organization_id: int,
    user_id: str | None,
    oauth: IntuitOAuth,
) -> ConnectStart:
    """A fresh, random, single-use state bound to the organization; only its hash is kept."""
    state = secrets.token_urlsafe(32)
    now = utcnow()
    await repository.add_state(
        session,
        OAuthState(
            state_hash=hash_state(state),
            organization_id=organization_id,
            user_id=user_id,
            created_at=now,
            expires_at=now + STATE_TTL,
        ),
    )
    return ConnectStart(auth_url=oauth.authorize_url(state), expires_at=now + STATE_TTL)


async def _consume_state(session: AsyncSession, state: str | None) -> int:
    if not state:
        raise OAuthStateInvalid("the link has no state", hint="start again from Connect")
    state_hash = hash_state(state)
    now = utcnow()
    organization_id = await repository.consume_state(session, state_hash, now=now)
    if organization_id is not None:
        return organization_id
    known = await repository.find_state(session, state_hash)
    if known is None:
        raise OAuthStateInvalid(
            "this link was not issued by qbsync", hint="start again from Connect"
        )
    if known.consumed_at is not None:
        raise OAuthStateInvalid("this link has already been used", hint="start again from Connect")
    raise OAuthStateInvalid("this link has expired", hint="start again from Connect")


async def complete_callback(
    session: AsyncSession,
    *,
    params: dict[str, str],
    oauth: IntuitOAuth,
    cipher: TokenCipher,
    settings: QuickBooksSettings,
    read_company_name: CompanyNameReader,
) -> Connected:
    """Verify and consume the state, exchange the code, store the tokens encrypted."""
    organization_id = await _consume_state(session, params.get("state"))
    if "error" in params:
        raise OAuthDenied(
            "QuickBooks access was not granted"
            + (
                " (access_denied)"
                if params["error"] == "access_denied"
                else f" ({params['error']})"
            ),
            hint="click Connect again and choose Connect on Intuit's page",
        )
    code, realm_id = params.get("code"), params.get("realmId")
    if not code or not realm_id:
        raise InvalidInput("the callback is missing code or realmId")

    existing = await repository.get_connection(session, organization_id, for_update=True)
    if existing is not None and existing.realm_id != realm_id and not settings.allow_company_switch:
        raise CompanySwitchRefused(
            f"this organization is linked to QuickBooks company {existing.realm_id}; "
            f"connecting company {realm_id} instead is not allowed",
            hint="connect the same company, or ask an operator to allow a company switch",
        )

    tokens = await oauth.exchange_code(code)
    company_name = await read_company_name(realm_id, tokens.access_token.get_secret_value())
    connection = existing or QuickBooksConnection(organization_id=organization_id, settings={})
    store_tokens(connection, tokens, cipher, now=utcnow())
    connection.realm_id = realm_id
    connection.environment = settings.environment
    connection.company_name = company_name or connection.company_name
    connection.status = ConnectionStatus.ACTIVE
    connection.connected_at = utcnow()
    connection.disconnected_at = None
    connection.last_error = None
    if existing is None:
        session.add(connection)
    await session.flush()
    forget_token(organization_id)  # a new grant: the cached token is the old one's
    log.info("quickbooks connected", extra={"org_id": organization_id, "realm_id": realm_id})
    return Connected(organization_id, realm_id, connection.company_name, existing is not None)


async def disconnect(
    session: AsyncSession, *, organization_id: int, oauth: IntuitOAuth, cipher: TokenCipher
) -> bool:
    """Revoke at Intuit and forget the tokens; mappings and logs stay. True if it was connected."""
    connection = await repository.get_connection(session, organization_id, for_update=True)
    if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
        return False
    if connection.refresh_token_encrypted:
        try:
            # Revoking the refresh token ends the whole grant at Intuit.
            await oauth.revoke(cipher.decrypt(connection.refresh_token_encrypted))
        except QbsyncError as exc:
            if exc.retryable:
                raise  # Intuit unreachable: keep everything so that the user can retry.
            log.info("revoke refused; forgetting the tokens anyway", extra={"code": exc.code})
    connection.access_token_encrypted = None
    connection.refresh_token_encrypted = None
    connection.access_token_expires_at = None
    connection.status = ConnectionStatus.DISCONNECTED
    connection.disconnected_at = utcnow()
    forget_token(organization_id)
    await session.flush()
    log.info("quickbooks disconnected", extra={"org_id": organization_id})
    return True


def status_view(organization_id: int, connection: QuickBooksConnection | None) -> dict[str, Any]:
    """The /status body: ``connected`` is always a boolean (the UI reads only that)."""
    if connection is None:
        return {
            "connected": False,
            "organizationId": organization_id,
            "status": ConnectionStatus.DISCONNECTED.value,
            "message": "QuickBooks is not connected",
        }
    connected = connection.status == ConnectionStatus.ACTIVE
    messages = {
        ConnectionStatus.ACTIVE: "Connected to QuickBooks",
        ConnectionStatus.NEEDS_REAUTH: "QuickBooks needs to be reconnected: Intuit no longer accepts the saved authorization",
        ConnectionStatus.DISCONNECTED: "QuickBooks is not connected",
    }
    return {
        "connected": connected,
        "organizationId": organization_id,
        "status": connection.status,
        "realmId": connection.realm_id,
        "companyName": connection.company_name,
        "environment": connection.environment,
        "connectedSince": _iso(connection.connected_at),
        "disconnectedAt": _iso(connection.disconnected_at),
        "accessTokenExpiresAt": _iso(connection.access_token_expires_at) if connected else None,
        "refreshTokenExpiresAt": _iso(connection.refresh_token_expires_at) if connected else None,
        "refreshTokenHardExpiresAt": _iso(connection.refresh_token_hard_expires_at),
        "lastSyncAt": _iso(connection.last_sync_at),
        "message": messages[ConnectionStatus(connection.status)],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
