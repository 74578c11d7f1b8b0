"""Connect, callback, disconnect and status: the OAuth lifecycle of one organization."""

from __future__ import annotations

import hashlib
import logging
import re
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
    CompanyConnectedElsewhere,
    CompanySwitchRefused,
    InvalidRealm,
    OAuthDenied,
    OAuthStateInvalid,
    OAuthWrongBrowser,
)
from qbsync.connections.models import ConnectionStatus, OAuthState, QuickBooksConnection
from qbsync.connections.oauth import IntuitOAuth, TokenSet
from qbsync.connections.tokens import forget_token, store_tokens
from qbsync.db.base import utcnow
from qbsync.errors import InvalidInput, QbsyncError

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
# The start link must be opened this soon after /connect: the UI opens it at once, and a
# link forwarded to someone else is mostly stale by the time it is clicked.
START_TTL = timedelta(minutes=2)
MAX_USER_ID_LENGTH = 255  # quickbooks_oauth_state.user_id
# Intuit realm ids are decimal numbers (16-19 digits today); anything else is forged.
_REALM_ID = re.compile(r"^[0-9]{1,20}$")

# Checks that a fresh access token reads the company's CompanyInfo; returns its name.
# Raises CompanyNotReachable when the grant does not reach that company.
CompanyVerifier = Callable[[str, str], Awaitable[str | None]]


def hash_state(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def browser_cookie_name(state: str) -> str:
    """One cookie per flow, so two flows in one browser do not overwrite each other."""
    return f"qbsync_oauth_{hash_state(state)[:16]}"


@dataclass(frozen=True)
class ConnectStart:
    state: str
    expires_at: datetime


@dataclass(frozen=True)
class BrowserStart:
    """A start link opened: the browser keeps ``nonce`` in a cookie until the callback."""

    organization_id: int
    user_id: str | None
    requested_at: datetime
    nonce: str
    authorize_url: str


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
    allow_shared_company: bool = False,
) -> ConnectStart:
    """A fresh, random, single-use state bound to the organization and the user; only its
    hash is kept. It is bound to a browser when its start link is opened."""
    state = secrets.token_urlsafe(32)
    now = utcnow()
    await repository.add_state(
        session,
        OAuthState(
            state_hash=hash_state(state),
            organization_id=organization_id,
            user_id=user_id,
            allow_shared_company=allow_shared_company,
            created_at=now,
            expires_at=now + STATE_TTL,
        ),
    )
    return ConnectStart(state=state, expires_at=now + STATE_TTL)


async def open_start_link(session: AsyncSession, *, state: str, oauth: IntuitOAuth) -> BrowserStart:
    """Bind the flow to the browser opening its start link (first come, only once)."""
    nonce = secrets.token_urlsafe(32)
    now = utcnow()
    claimed = await repository.claim_state(
        session,
        hash_state(state),
        browser_hash=hash_state(nonce),
        now=now,
        created_after=now - START_TTL,
    )
    if claimed is None:
        known = await repository.find_state(session, hash_state(state))
        if known is not None and known.browser_hash is not None:
            raise OAuthStateInvalid(
                "this link has already been opened in a browser",
                hint="start again from Connect in Aforo",
            )
        raise _unusable(known, now=now, started_within=START_TTL)
    return BrowserStart(
        organization_id=claimed.organization_id,
        user_id=claimed.user_id,
        requested_at=claimed.created_at,
        nonce=nonce,
        authorize_url=oauth.authorize_url(state),
    )


def _unusable(
    known: OAuthState | None, *, now: datetime, started_within: timedelta | None = None
) -> OAuthStateInvalid:
    again = "start again from Connect in Aforo"
    if known is None:
        return OAuthStateInvalid("this link was not issued by qbsync", hint=again)
    if known.consumed_at is not None:
        return OAuthStateInvalid("this link has already been used", hint=again)
    if known.expires_at > now and started_within is not None:
        return OAuthStateInvalid(
            f"this link must be opened within {int(started_within.total_seconds() // 60)} "
            "minutes of clicking Connect",
            hint=again,
        )
    return OAuthStateInvalid("this link has expired", hint=again)


async def _consume_state(
    session: AsyncSession, state: str | None, browser_nonce: str | None
) -> OAuthState:
    if not state:
        raise OAuthStateInvalid("the link has no state", hint="start again from Connect")
    state_hash = hash_state(state)
    now = utcnow()
    browser_hash = hash_state(browser_nonce) if browser_nonce else None
    consumed = await repository.consume_state(
        session, state_hash, browser_hash=browser_hash, now=now
    )
    if consumed is not None:
        return consumed
    known = await repository.find_state(session, state_hash)
    if known is not None and known.consumed_at is None and known.expires_at > now:
        # Live, but not this browser's: left untouched, so that a stranger's request cannot
        # spoil the flow of the browser that did start it.
        raise OAuthWrongBrowser(
            "this QuickBooks authorization was not started in this browser",
            hint="click Connect in Aforo and finish in the tab it opens",
        )
    raise _unusable(known, now=now)


def _check_realm(realm_id: str | None, code: str | None) -> tuple[str, str]:
    if not code or not realm_id:
        raise InvalidInput("the callback is missing code or realmId")
    if not _REALM_ID.match(realm_id):
        raise InvalidRealm("realmId is not a QuickBooks company id")
    return code, realm_id


async def _revoke_quietly(oauth: IntuitOAuth, tokens: TokenSet) -> None:
    """Hand back a grant we will not keep."""
    try:
        await oauth.revoke(tokens.refresh_token.get_secret_value())
    except QbsyncError as exc:
        log.info("could not revoke a refused grant", extra={"code": exc.code})


async def complete_callback(
    session: AsyncSession,
    *,
    params: dict[str, str],
    browser_nonce: str | None,
    oauth: IntuitOAuth,
    cipher: TokenCipher,
    settings: QuickBooksSettings,
    verify_company: CompanyVerifier,
) -> Connected:
    """Verify and consume the state (in the browser that started it), exchange the code,
    check the grant reaches the company named, store the tokens encrypted."""
    flow = await _consume_state(session, params.get("state"), browser_nonce)
    organization_id = flow.organization_id
    if "error" in params:
        raise OAuthDenied(
            "QuickBooks access was not granted"
            + (
                " (access_denied)"
                if params["error"] == "access_denied"
                else f" ({params['error'][:100]})"
            ),
            hint="click Connect again and choose Connect on Intuit's page",
        )
    code, realm_id = _check_realm(params.get("realmId"), params.get("code"))

    existing = await repository.get_connection(session, organization_id, for_update=True)
    if existing is not None and existing.realm_id != realm_id and not settings.allow_company_switch:
        raise CompanySwitchRefused(
            f"this organization is linked to QuickBooks company {existing.realm_id}; "
            f"connecting company {realm_id} instead is not allowed",
            hint="connect the same company, or ask an operator to allow a company switch",
        )

    tokens = await oauth.exchange_code(code)
    try:
        # realmId comes from the query string: only the token proves which company it is.
        company_name = await verify_company(realm_id, tokens.access_token.get_secret_value())
        elsewhere = await repository.connection_of_realm_elsewhere(
            session, realm_id, organization_id=organization_id
        )
        if elsewhere is not None and not flow.allow_shared_company:
            raise CompanyConnectedElsewhere(
                "this QuickBooks company is already connected to another Aforo organization",
                hint="disconnect it there first, or ask an operator to connect it for you",
            )
    except QbsyncError:
        await _revoke_quietly(oauth, tokens)
        raise
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
    log.info(
        "quickbooks connected",
        extra={"org_id": organization_id, "realm_id": realm_id, "user_id": flow.user_id},
    )
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
