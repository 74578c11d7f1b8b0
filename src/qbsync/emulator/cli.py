"""``qbsync emulator``: the QuickBooks Online emulator plus the Aforo stub services on one port."""

from __future__ import annotations

import logging
import os

from fastapi import APIRouter

from qbsync.emulator.aforo_stubs import AforoStubStore, aforo_stub_router
from qbsync.emulator.config import EmulatorConfig
from qbsync.emulator.server import run

log = logging.getLogger(__name__)


def run_emulator(*, host: str, port: int, jwt_secret: str | None = None) -> None:
    """Serve until interrupted. The Aforo stubs verify service JWTs with ``jwt_secret``
    (default: ``QBSYNC_JWT_SECRET`` or ``JWT_SECRET``); without one only QBO is served."""
    secret = jwt_secret or os.environ.get("QBSYNC_JWT_SECRET") or os.environ.get("JWT_SECRET")
    routers: list[APIRouter] = []
    if secret:
        routers.append(aforo_stub_router(AforoStubStore(), jwt_secret=secret))
    else:
        log.warning("no JWT secret given: serving the QuickBooks emulator without Aforo stubs")
    config = EmulatorConfig(public_base_url=f"http://{host}:{port}")
    run(host, port, config, extra_routers=routers)
