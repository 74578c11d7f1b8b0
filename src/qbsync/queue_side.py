"""The queue side of a process: the runner wired to the scheduler, and interrupted backfills."""

from __future__ import annotations

import logging

from qbsync.backfill import batched
from qbsync.backfill import service as backfills
from qbsync.errors import QbsyncError
from qbsync.events.handlers import build_handler
from qbsync.events.recorder import SyncLogRecorder
from qbsync.events.runner import ConsumerRunner
from qbsync.resources import Resources


def build_runner(resources: Resources) -> ConsumerRunner:
    settings = resources.settings.amqp
    return ConsumerRunner(
        resources.amqp,
        settings,
        build_handler(resources.scheduling),
        SyncLogRecorder(resources.sessionmaker),
        publisher=resources.publisher,
    )


log = logging.getLogger(__name__)


async def resume_backfills(resources: Resources) -> None:
    """Finish backfills a stopped process left half-written (or half-queued)."""
    if not await resources.amqp.wait_connected(60):
        return
    async with resources.sessionmaker() as session:
        job_ids = await backfills.resumable_jobs(session)
    for job_id in job_ids:
        try:
            await batched.run(resources, job_id)
        except QbsyncError as exc:
            log.warning("backfill resume failed", extra={"job_id": job_id, "code": exc.code})
