"""The ``qbsync`` command: serve, worker, migrate, emulator, publish, demo."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence

from qbsync import heap
from qbsync.config import Settings, get_settings
from qbsync.errors import SettingsError
from qbsync.logging import configure_logging


def _settings() -> Settings:
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"qbsync: {exc}", file=sys.stderr)  # noqa: T201 - the CLI talks to a person
        raise SystemExit(2) from None
    configure_logging(settings.log)
    return settings


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from qbsync.app import create_app
    from qbsync.server import server_config

    settings = _settings()
    if args.no_consumers:
        settings.server.run_consumers = False
    if args.host:
        settings.server.host = args.host
    if args.port:
        settings.server.port = args.port
    server = uvicorn.Server(server_config(create_app(settings), settings.server))
    heap.settle()
    # Ctrl-C: uvicorn shuts down gracefully, then re-raises the signal.
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:
        raise SystemExit(3)


def cmd_worker(_: argparse.Namespace) -> None:
    import asyncio

    import uvloop

    from qbsync.worker import run_worker

    settings = _settings()
    heap.settle()
    # uvloop, as ``serve`` has through uvicorn: the worker's event loop is a sixth of its CPU
    # an event on asyncio's own (docs/quickbooks-cost.md, "CPU per event").
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(run_worker(settings))


def cmd_migrate(args: argparse.Namespace) -> None:
    from qbsync.migrate import downgrade, upgrade

    settings = _settings()
    if args.downgrade:
        downgrade(settings.db.url, args.downgrade)
    else:
        upgrade(settings.db.url, args.revision)


def cmd_emulator(args: argparse.Namespace) -> None:
    # A separate distribution, installed for development and demos, not in production.
    try:
        from qbo_emulator.cli import run_emulator
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith("qbo_emulator"):
            raise
        raise SystemExit(
            "qbsync emulator: the qbo-emulator package is not installed "
            "(pip install -e packages/qbo-emulator, or `make install`)"
        ) from None
    run_emulator(
        host=args.host,
        port=args.port,
        jwt_secret=args.jwt_secret,
        redirect_uris=args.redirect_uris,
    )


def cmd_publish(args: argparse.Namespace) -> None:
    import asyncio

    from qbsync.events.samples import publish_samples_to

    settings = _settings()
    events = asyncio.run(
        publish_samples_to(
            settings.amqp,
            args.org,
            customer_id=args.customer,
            invoice_id=args.invoice,
            payment_id=args.payment,
        )
    )
    for event in events:
        print(f"published {event.routing_key}: {event.model_dump_json(exclude_none=True)}")  # noqa: T201


def cmd_token(args: argparse.Namespace) -> None:
    """A bearer token as the Aforo platform would issue it, for trying the API by hand."""
    from qbsync.aforo.auth import mint_service_token

    settings = _settings()
    auth = settings.auth
    operator = {auth.operator_claim: [auth.operator_value]} if args.operator else None
    token = mint_service_token(
        settings.jwt_secret, organization_id=args.org, ttl_s=args.ttl, extra_claims=operator
    )
    print(token)  # noqa: T201 - the CLI talks to a person


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qbsync", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP API (port 8095) and the event consumers")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--no-consumers", action="store_true", help="API only")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run the event consumers only")
    worker.set_defaults(func=cmd_worker)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--revision", default="head")
    migrate.add_argument("--downgrade", metavar="REVISION", default=None)
    migrate.set_defaults(func=cmd_migrate)

    emulator = sub.add_parser(
        "emulator",
        help="run the QuickBooks Online emulator and the Aforo stub services "
        "(the qbo-emulator package, a development dependency)",
    )
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8096)
    emulator.add_argument(
        "--jwt-secret",
        default=None,
        help="secret the Aforo stubs verify (default: QBSYNC_JWT_SECRET)",
    )
    emulator.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        dest="redirect_uris",
        metavar="URI",
        help="register an OAuth redirect URI with the emulated app (repeatable)",
    )
    emulator.set_defaults(func=cmd_emulator)

    publish = sub.add_parser(
        "publish",
        help="publish a sample CustomerActivated, InvoiceCreated and PaymentReceived event",
    )
    # The defaults name records the bundled Aforo stubs hold (organization 1).
    publish.add_argument("--org", type=int, default=1)
    publish.add_argument("--customer", type=int, default=2)
    publish.add_argument("--invoice", type=int, default=102)
    publish.add_argument("--payment", default="PAY-DEMO-1")
    publish.set_defaults(func=cmd_publish)

    token = sub.add_parser(
        "token", help="print a bearer token for an organization (signed with the JWT secret)"
    )
    token.add_argument("--org", type=int, default=1)
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    token.add_argument(
        "--operator", action="store_true", help="with the operator role (operator routes, console)"
    )
    token.set_defaults(func=cmd_token)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], None] = args.func
    func(args)


if __name__ == "__main__":
    main()
