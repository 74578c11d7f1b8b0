"""Named queries for connections and OAuth states; all connection SQL lives here."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.connections.models import ConnectionStatus, OAuthState, QuickBooksConnection
from qbsync.db.base import detached, table_of

_CONNECTIONS = table_of(QuickBooksConnection)
# Every sync starts from its organization's connection: read with Core (sync/repository.py
# adds the record's lock to it), and turned into a model to read, not to change (it is not in
# the session's identity map).
READ_CONNECTION = select(_CONNECTIONS).where(_CONNECTIONS.c.organization_id == bindparam("org"))


def connection_of(row: Mapping[str, Any] | None) -> QuickBooksConnection | None:
    """The model of a row read by column name (``direct``'s rows, a Core row's ``_mapping``)."""
    if row is None:
        return None
    return detached(QuickBooksConnection, {c.key: row[c.key] for c in _CONNECTIONS.columns})


async def get_connection(
    session: AsyncSession, organization_id: int, *, for_update: bool = False
) -> QuickBooksConnection | None:
    query = select(QuickBooksConnection).where(
        QuickBooksConnection.organization_id == organization_id
    )
    if for_update:
        query = query.with_for_update()
    result: QuickBooksConnection | None = await session.scalar(query)
    return result


# lastSyncAt is for people (the connection's status page): each process writes it at most
# this often per organization, not with every synced record (an UPDATE of the connection
# row per record was a tenth of a sync's statements).
LAST_SYNC_EVERY_S = 60.0
_last_sync_written: dict[int, float] = {}
_TOUCH_LAST_SYNC = (
    update(_CONNECTIONS)  # Core: no ORM bookkeeping for one column
    .where(_CONNECTIONS.c.organization_id == bindparam("org"))
    .values(last_sync_at=bindparam("at"))
)


async def note_sync(session: AsyncSession, organization_id: int, *, at: datetime) -> None:
    """A record of the organization was synced at ``at`` (in the caller's unit of work)."""
    now = time.monotonic()
    if now - _last_sync_written.get(organization_id, -math.inf) < LAST_SYNC_EVERY_S:
        return
    _last_sync_written[organization_id] = now
    await session.execute(_TOUCH_LAST_SYNC, {"org": organization_id, "at": at})


async def add_state(session: AsyncSession, state: OAuthState) -> None:
    session.add(state)
    await session.flush()


async def claim_state(
    session: AsyncSession,
    state_hash: str,
    *,
    browser_hash: str,
    now: datetime,
    created_after: datetime,
) -> OAuthState | None:
    """Bind a live, unclaimed state to a browser; None when it is not claimable.

    One UPDATE, so two browsers opening the same start link cannot both get it."""
    claimed: OAuthState | None = await session.scalar(
        update(OAuthState)
        .where(
            OAuthState.state_hash == state_hash,
            OAuthState.browser_hash.is_(None),
            OAuthState.consumed_at.is_(None),
            OAuthState.expires_at > now,
            OAuthState.created_at > created_after,
        )
        .values(browser_hash=browser_hash)
        .returning(OAuthState)
    )
    return claimed


async def consume_state(
    session: AsyncSession, state_hash: str, *, browser_hash: str | None, now: datetime
) -> OAuthState | None:
    """Mark a live state used, if ``browser_hash`` is the browser it was opened in; None
    when it is not live or not this browser's.

    One UPDATE, so two callbacks racing with the same state cannot both succeed."""
    if browser_hash is None:
        return None
    consumed: OAuthState | None = await session.scalar(
        update(OAuthState)
        .where(
            OAuthState.state_hash == state_hash,
            OAuthState.browser_hash == browser_hash,
            OAuthState.consumed_at.is_(None),
            OAuthState.expires_at > now,
        )
        .values(consumed_at=now)
        .returning(OAuthState)
    )
    return consumed


async def connection_of_realm_elsewhere(
    session: AsyncSession, realm_id: str, *, organization_id: int
) -> QuickBooksConnection | None:
    """A connection of another organization to this company that is not disconnected."""
    result: QuickBooksConnection | None = await session.scalar(
        select(QuickBooksConnection)
        .where(
            QuickBooksConnection.realm_id == realm_id,
            QuickBooksConnection.organization_id != organization_id,
            QuickBooksConnection.status != ConnectionStatus.DISCONNECTED,
        )
        .limit(1)
    )
    return result


async def find_state(session: AsyncSession, state_hash: str) -> OAuthState | None:
    result: OAuthState | None = await session.scalar(
        select(OAuthState).where(OAuthState.state_hash == state_hash)
    )
    return result


async def connections_due_for_keepalive(
    session: AsyncSession, *, refreshed_before: datetime, limit: int = 100
) -> list[QuickBooksConnection]:
    """Active connections whose tokens were last refreshed long ago (refresh tokens expire
    after ~100 days of disuse)."""
    rows = await session.scalars(
        select(QuickBooksConnection)
        .where(
            QuickBooksConnection.status == ConnectionStatus.ACTIVE,
            QuickBooksConnection.last_refreshed_at < refreshed_before,
        )
        .order_by(QuickBooksConnection.last_refreshed_at)
        .limit(limit)
    )
    return list(rows)


async def connections_near_hard_cap(
    session: AsyncSession, *, before: datetime
) -> list[QuickBooksConnection]:
    rows = await session.scalars(
        select(QuickBooksConnection).where(
            QuickBooksConnection.status == ConnectionStatus.ACTIVE,
            QuickBooksConnection.refresh_token_hard_expires_at < before,
        )
    )
    return list(rows)
