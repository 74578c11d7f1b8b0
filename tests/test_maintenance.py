"""Upkeep: idle refresh tokens are used before they lapse, the 5-year cap is reported, and
old sync-log rows are purged."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from qbsync.connections.models import QuickBooksConnection
from qbsync.db.base import utcnow
from qbsync.maintenance import upkeep_once
from qbsync.sync.models import SyncLog


async def test_upkeep(resources, org, sessionmaker) -> None:
    now = utcnow()
    async with sessionmaker.begin() as session:
        await session.execute(
            update(QuickBooksConnection)
            .where(QuickBooksConnection.organization_id == org.organization_id)
            .values(
                last_refreshed_at=now - timedelta(days=45),
                refresh_token_hard_expires_at=now + timedelta(days=20),
            )
        )
        old = SyncLog(
            organization_id=org.organization_id,
            entity_type="CUSTOMER",
            aforo_id="CUST-1",
            action="CREATE",
            status="SUCCESS",
            trigger="EVENT",
            created_at=now - timedelta(days=400),
        )
        session.add(old)
    report = await upkeep_once(resources)
    assert org.organization_id in report.refreshed
    assert org.organization_id in report.near_hard_cap
    assert report.purged_logs >= 1
    async with sessionmaker() as session:
        connection = await session.scalar(
            select(QuickBooksConnection).where(
                QuickBooksConnection.organization_id == org.organization_id
            )
        )
        assert connection is not None
        assert connection.last_refreshed_at is not None
        assert connection.last_refreshed_at > now - timedelta(minutes=1)
        assert await session.get(SyncLog, old.id) is None
    # The rotated refresh token was stored: the connection still yields tokens.
    assert await resources.quickbooks.tokens(org.organization_id).get_token()
    again = await upkeep_once(resources)
    assert org.organization_id not in again.refreshed
