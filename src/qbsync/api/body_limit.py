"""Request-body limits: refuse what cannot be valid before reading it, and stop a stream early.

A ``Content-Length`` over the limit is answered 413 without keeping a byte (up to
``DRAIN_MAX_BYTES`` is read and dropped first, beyond it nothing is read). A chunked body
(or one that lies about its length) is counted as it arrives, and answered 413 as soon as it
passes the limit; the route then sees a disconnected client and whatever it would answer is
dropped. Metering's webhook gets a much tighter limit: it is unauthenticated until its body
has been parsed (the credential is in the body).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

WEBHOOK_PATH = "/api/quickbooks/webhook/invoice-created"

# A declared body over the limit by no more than this is read and dropped before the 413: a
# server that closes with a body unread resets the connection, and the client can lose the
# answer with it (120 kB sent to the webhook's 16 kB limit got no status at all). A larger
# one is refused unread: reading it is the cost the limit exists to avoid.
DRAIN_MAX_BYTES = 1024 * 1024
DRAIN_MAX_S = 2.0


async def _drain(receive: Receive) -> None:
    """Read and drop the request's body (a slow sender is given ``DRAIN_MAX_S``)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_MAX_S):
            while True:
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    return


async def _refuse(send: Send, status: int, error: str, message: str) -> None:
    body = json.dumps({"error": error, "message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is not read: the connection cannot be reused.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    def __init__(
        self, app: ASGIApp, *, max_bytes: int, path_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(scope["path"].rstrip("/") or "/", self.max_bytes)
        too_large = f"the request body is larger than {limit} bytes"
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            text = declared.decode("latin-1").strip()
            if not (text.isascii() and text.isdigit()) or len(text) > 18:
                await _refuse(send, 400, "invalid_input", "Content-Length is not a number")
                return
            if int(text) > limit:
                if int(text) <= DRAIN_MAX_BYTES:
                    await _drain(receive)
                await _refuse(send, 413, "body_too_large", too_large)
                return

        received = 0
        refused = started = False

        async def capped_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await _refuse(send, 413, "body_too_large", too_large)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # after a 413 the route's own answer goes nowhere
            started = True
            await send(message)

        await self.app(scope, capped_receive, guarded_send)
