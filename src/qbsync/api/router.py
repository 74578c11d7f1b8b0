"""Mounts every feature router; the paths are fixed by the real clients."""

from __future__ import annotations

from fastapi import APIRouter

from qbsync.api import connections, health, sync


def build_router() -> APIRouter:
    router = APIRouter()
    router.include_router(health.router)
    router.include_router(connections.router)
    router.include_router(sync.router)
    return router
