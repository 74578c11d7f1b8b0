"""``qbo-emulator``: the QuickBooks Online emulator plus the Aforo stub services on one port."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence

from fastapi import APIRouter

from qbo_emulator.aforo import AforoStubStore, aforo_stub_router
from qbo_emulator.config import PLAYGROUND_REDIRECT_URI, EmulatorConfig
from qbo_emulator.server import run

log = logging.getLogger(__name__)


def run_emulator(
    *,
    host: str,
    port: int,
    jwt_secret: str | None = None,
    redirect_uris: Sequence[str] = (),
) -> None:
    """Serve until interrupted. The Aforo stubs verify service JWTs with ``jwt_secret``
    (default: ``QBSYNC_JWT_SECRET`` or ``JWT_SECRET``); without one only QBO is served.
    ``redirect_uris`` are registered for the app besides Intuit's OAuth Playground."""
    secret = jwt_secret or os.environ.get("QBSYNC_JWT_SECRET") or os.environ.get("JWT_SECRET")
    routers: list[APIRouter] = []
    if secret:
        routers.append(aforo_stub_router(AforoStubStore(), jwt_secret=secret))
    else:
        log.warning("no JWT secret given: serving the QuickBooks emulator without Aforo stubs")
    registered = (PLAYGROUND_REDIRECT_URI, *(uri for uri in redirect_uris if uri))
    config = EmulatorConfig(redirect_uris=registered)
    run(host, port, config, extra_routers=routers)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8096)
    parser.add_argument(
        "--jwt-secret",
        default=None,
        help="secret the Aforo stubs verify (default: QBSYNC_JWT_SECRET or JWT_SECRET)",
    )
    parser.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        dest="redirect_uris",
        metavar="URI",
        help="register an OAuth redirect URI for the app (repeatable)",
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="qbo-emulator", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    run_emulator(
        host=args.host,
        port=args.port,
        jwt_secret=args.jwt_secret,
        redirect_uris=args.redirect_uris,
    )
