"""Mounts every feature router; the paths are fixed by the real clients."""

from __future__ import annotations

from fastapi import APIRouter

from qbsync.api import (
    activity,
    admin,
    admin_sync,
    backfill,
    compat,
    connections,
    dead_letters,
    diagnose,
    drift,
    health,
    intuit_webhooks,
    invoices,
    operator_logs,
    pending_work,
    read_budget,
    records,
    sync,
    sync_settings,
)


def build_router() -> APIRouter:
    router = APIRouter()
    router.include_router(health.router)
    router.include_router(connections.router)
    router.include_router(sync.router)
    router.include_router(operator_logs.router)
    router.include_router(records.router)
    router.include_router(activity.router)
    router.include_router(diagnose.router)
    router.include_router(dead_letters.router)
    router.include_router(pending_work.router)
    router.include_router(read_budget.router)
    router.include_router(backfill.router)
    router.include_router(compat.router)
    router.include_router(admin.router)
    router.include_router(admin_sync.router)
    router.include_router(invoices.router)
    router.include_router(sync_settings.router)
    router.include_router(intuit_webhooks.router)
    router.include_router(drift.router)
    return router
