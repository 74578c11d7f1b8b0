"""Periodic upkeep every instance runs: keep idle connections' refresh tokens alive, report
connections nearing Intuit's 5-year cap, purge old sync-log rows and manual-sync results."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from qbsync.connections import repository as connections
from qbsync.db.base import utcnow
from qbsync.errors import QbsyncError
from qbsync.metrics import CONNECTIONS_NEAR_HARD_CAP
from qbsync.reconcile.sweep import enqueue_sweeps
from qbsync.resources import Resources
from qbsync.sync import sync_log

log = logging.getLogger(__name__)

# Intuit's refresh tokens lapse after ~100 days unused; refreshing monthly keeps them alive.
IDLE_REFRESH_AFTER = timedelta(days=30)
HARD_CAP_WARNING = timedelta(days=60)


@dataclass
class UpkeepReport:
    refreshed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    near_hard_cap: list[int] = field(default_factory=list)
    purged_logs: int = 0
    sweeps: int = 0


async def upkeep_once(resources: Resources) -> UpkeepReport:
    report = UpkeepReport()
    now = utcnow()
    idle_before = now - IDLE_REFRESH_AFTER
    async with resources.sessionmaker() as session:
        due = await connections.connections_due_for_keepalive(session, refreshed_before=idle_before)
        near = await connections.connections_near_hard_cap(session, before=now + HARD_CAP_WARNING)
    for connection in due:
        try:
            if await resources.quickbooks.tokens(connection.organization_id).refresh_if_idle(
                refreshed_before=idle_before
            ):
                report.refreshed.append(connection.organization_id)
        except QbsyncError as exc:
            report.failed.append(connection.organization_id)
            log.warning(
                "keep-alive refresh failed",
                extra={"org_id": connection.organization_id, "code": exc.code},
            )
    for connection in near:
        report.near_hard_cap.append(connection.organization_id)
        log.warning(
            "connection nears Intuit's 5-year refresh-token cap; the user must reconnect before it",
            extra={
                "org_id": connection.organization_id,
                "expires_at": connection.refresh_token_hard_expires_at,
            },
        )
    CONNECTIONS_NEAR_HARD_CAP.set(len(near))
    retention = timedelta(days=resources.settings.db.sync_log_retention_days)
    async with resources.sessionmaker.begin() as session:
        report.purged_logs = await sync_log.purge_logs(session, older_than=now - retention)
    # Results of manual syncs nobody waits for any more.
    await resources.scheduling.purge_results()
    # What webhooks missed: each company's changes since its last sweep (docs/reconciliation.md).
    async with resources.sessionmaker.begin() as session:
        report.sweeps = await enqueue_sweeps(
            session,
            interval_s=resources.settings.quickbooks.cdc_sweep_interval_s,
            max_attempts=resources.scheduling.max_attempts,
        )
    resources.scheduling.wake()
    return report


async def run_upkeep(resources: Resources) -> None:
    """Forever, every ``keepalive_interval_s``; a failure is logged and tried next time."""
    while True:
        try:
            report = await upkeep_once(resources)
            log.info(
                "upkeep done",
                extra={"refreshed": len(report.refreshed), "purged_logs": report.purged_logs},
            )
        except Exception:  # upkeep must outlive a database hiccup
            log.exception("upkeep failed")
        await asyncio.sleep(resources.settings.quickbooks.keepalive_interval_s)
