"""The consumer side of a process: the runner wired to the engine, started and stopped."""

from __future__ import annotations

from qbsync.events.consumer import ConsumerRunner
from qbsync.events.handlers import build_handler
from qbsync.events.recorder import SyncLogRecorder
from qbsync.resources import Resources


def build_runner(resources: Resources) -> ConsumerRunner:
    settings = resources.settings.amqp
    return ConsumerRunner(
        resources.amqp,
        settings,
        build_handler(resources.sessionmaker, resources.sync_deps, settings),
        SyncLogRecorder(resources.sessionmaker),
        publisher=resources.publisher,
    )
