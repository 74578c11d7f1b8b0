"""Refresh-token rotation under the emulator's strict mode: reusing a rotated refresh token
revokes the whole connection (as newer reports say Intuit may do). qbsync must never reuse one:
concurrent 401s from many tasks or processes refresh once, and every rotation is stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbo_emulator.control import EmulatorControl
from qbsync.connections import tokens as connection_tokens
from qbsync.connections.errors import NeedsReauth
from qbsync.connections.models import ConnectionStatus, QuickBooksConnection
from qbsync.db.base import utcnow
from qbsync.resources import Resources
from tests.fixtures.sync import Org


@pytest.fixture
async def strict(emulator_control: EmulatorControl) -> AsyncIterator[None]:
    await emulator_control.configure(refresh_token_reuse="revoke")
    yield
    await emulator_control.configure(refresh_token_reuse="grace")


async def _connection(
    sessionmaker: async_sessionmaker[AsyncSession], org: Org
) -> QuickBooksConnection:
    async with sessionmaker() as session:
        connection = await session.scalar(
            select(QuickBooksConnection).where(
                QuickBooksConnection.organization_id == org.organization_id
            )
        )
    assert connection is not None
    return connection


async def _age_last_refresh(sessionmaker: async_sessionmaker[AsyncSession], org: Org) -> None:
    """The tokens were issued an hour ago: their 401 is an expiry, not a wrong company."""
    async with sessionmaker.begin() as session:
        await session.execute(
            update(QuickBooksConnection)
            .where(QuickBooksConnection.organization_id == org.organization_id)
            .values(last_refreshed_at=utcnow() - timedelta(hours=1))
        )


@pytest.mark.usefixtures("strict")
@pytest.mark.parametrize("processes", [False, True], ids=["tasks", "processes"])
async def test_a_burst_of_401s_rotates_once_and_the_connection_survives(
    resources: Resources,
    emulator_control: EmulatorControl,
    sessionmaker: async_sessionmaker[AsyncSession],
    org: Org,
    monkeypatch: pytest.MonkeyPatch,
    processes: bool,
) -> None:
    if processes:
        # Each worker process has its own in-process lock; only the row lock is shared.
        monkeypatch.setattr(connection_tokens, "_lock_for", lambda _org: asyncio.Lock())
    stale = await resources.quickbooks.tokens(org.organization_id).get_token()
    await emulator_control.expire_tokens(org.realm_id)
    for _round in range(3):  # three rotations, an hour apart, each after a burst of 401s
        await _age_last_refresh(sessionmaker, org)
        providers = [resources.quickbooks.tokens(org.organization_id) for _ in range(8)]
        fresh = await asyncio.gather(*(p.refresh(rejected_token=stale) for p in providers))
        assert len(set(fresh)) == 1
        assert fresh[0] != stale
        stale = fresh[0]
    assert (await _connection(sessionmaker, org)).status == ConnectionStatus.ACTIVE
    client = resources.quickbooks.client(organization_id=org.organization_id, realm_id=org.realm_id)
    assert (await client.company_info()).company_name == f"Org {org.organization_id} Ltd"


@pytest.mark.usefixtures("strict")
async def test_a_reused_refresh_token_ends_the_connection_and_qbsync_says_so(
    resources: Resources,
    emulator_control: EmulatorControl,
    sessionmaker: async_sessionmaker[AsyncSession],
    org: Org,
) -> None:
    """What strict mode punishes: the token qbsync stored was used elsewhere after a
    rotation (a restored backup, a second deployment). qbsync marks the connection."""
    before = await _connection(sessionmaker, org)
    assert before.refresh_token_encrypted is not None
    assert before.access_token_encrypted is not None
    saved = resources.cipher.decrypt(before.refresh_token_encrypted)
    rejected = resources.cipher.decrypt(before.access_token_encrypted)
    await resources.quickbooks.oauth.refresh(saved)  # someone else rotates: `saved` is now retired
    await emulator_control.expire_tokens(org.realm_id)
    provider = resources.quickbooks.tokens(org.organization_id)
    with pytest.raises(NeedsReauth):
        await provider.refresh(rejected_token=rejected)  # as after a 401
    assert (await _connection(sessionmaker, org)).status == ConnectionStatus.NEEDS_REAUTH
