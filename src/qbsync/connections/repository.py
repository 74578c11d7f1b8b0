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


async def consume_state(session: AsyncSession, state_hash: str, *, now: datetime) -> int | None:
    """Mark a live state used and return its organization; None when it is not live.

    One UPDATE, so two callbacks racing with the same state cannot both succeed."""
    organization_id: int | None = await session.scalar(
        update(OAuthState)
        .where(
            OAuthState.state_hash == state_hash,
            OAuthState.consumed_at.is_(None),
            OAuthState.expires_at > now,
        )
        .values(consumed_at=now)
        .returning(OAuthState.organization_id)
    )
    return organization_id


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
