"""``qbsync worker``: the consumers alone, until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal

from qbsync.config import Settings
from qbsync.maintenance import run_upkeep
from qbsync.queue_side import build_runner, resume_backfills
from qbsync.resources import open_resources

log = logging.getLogger(__name__)


async def run_worker(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with open_resources(settings) as resources:
        runner = build_runner(resources)
        scheduler = resources.scheduling.start_scheduler()
        await scheduler.start()
        await runner.start()
        upkeep = asyncio.create_task(run_upkeep(resources))
        resumer = asyncio.create_task(resume_backfills(resources))
        log.info("worker started; consuming as soon as RabbitMQ is reachable")
        await stop.wait()
        log.info("worker stopping: finishing in-flight messages and syncs")
        upkeep.cancel()
        resumer.cancel()
        await runner.stop()
        await scheduler.stop(settings.amqp.shutdown_grace_s)
