"""``create_emulator_app``: one FastAPI app standing in for every Intuit host, by path."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qbo_emulator import accounting, oauth
from qbo_emulator.config import EmulatorConfig
from qbo_emulator.control import person
from qbo_emulator.control import router as control_router
from qbo_emulator.state import EmulatorState
from qbo_emulator.webhooks import router as webhooks_router
from qbo_emulator.wire import new_tid

# Paths that belong to Intuit's hosts (and so carry an intuit_tid), not to the control API
# or to routers mounted next to the emulator.
INTUIT_PREFIXES = (
    "/.well-known/",
    "/op/v1/",
    "/connect/",
    "/oauth2/",
    "/v2/oauth2/",
    "/v3/",
    "/sandbox/v3/",
)


class IntuitTidMiddleware:
    """Adds a fresh ``intuit_tid`` to every answer from an Intuit path.

    Intuit's SDKs read ``intuit_tid``; the recorded API responses show it as ``Intuit-Tid``.
    Both spellings are sent so that either kind of client finds it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith(INTUIT_PREFIXES):
            await self.app(scope, receive, send)
            return
        tid = new_tid().encode()

        async def send_with_tid(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"intuit_tid", tid), (b"intuit-tid", tid)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_tid)


def create_emulator_app(
    config: EmulatorConfig | None = None, *, extra_routers: Sequence[APIRouter] = ()
) -> FastAPI:
    app = FastAPI(
        title="QuickBooks Online emulator",
        description="Intuit OAuth + QBO Accounting API stand-in for qbsync's tests, demo and bench.",
        docs_url="/_emulator/docs",
        openapi_url="/_emulator/openapi.json",
        redoc_url=None,
    )
    app.state.emulator = EmulatorState(config or EmulatorConfig())
    app.include_router(oauth.router)
    app.include_router(accounting.router)
    app.include_router(control_router.router)
    app.include_router(person.router)
    app.include_router(webhooks_router.router)
    for router in extra_routers:
        app.include_router(router)
    app.add_middleware(IntuitTidMiddleware)
    return app
