"""Named queries for connections and OAuth states; all connection SQL lives here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.connections.models import ConnectionStatus, OAuthState, QuickBooksConnection


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
