"""Request middleware: a request id on every log line and response, and request metrics."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qbsync.logging import has_controls, log_context
from qbsync.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = logging.getLogger("qbsync.access")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def _has_controls(scope: Scope) -> bool:
    query = unquote(scope.get("query_string", b"").decode("utf-8", errors="replace"))
    return has_controls(scope["path"]) or has_controls(query)


async def _refuse_controls(send: Send) -> None:
    body = json.dumps(
        {
            "error": "invalid_input",
            "message": "the URL contains a control character (NUL, newline, escape…)",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


_PARAM = re.compile(r"\\\{[^}]+\\\}")


def path_templates(app: object) -> list[tuple[re.Pattern[str], str]]:
    """The app's route templates as (regex, template), static ones first, from its OpenAPI
    document (the one public listing of every route, however routers are nested)."""
    openapi = getattr(app, "openapi", None)
    paths = list(openapi().get("paths", {})) if callable(openapi) else []
    paths.sort(key=lambda template: template.count("{"))
    return [
        (re.compile("^" + _PARAM.sub("[^/]+", re.escape(template)) + "$"), template)
        for template in paths
    ]


def route_label(scope: Scope, templates: list[tuple[re.Pattern[str], str]]) -> str:
    """The route template a request went to, for metrics. A CORS preflight is answered by
    the CORS middleware before routing, so its route is found from the path."""
    route = scope.get("route")
    if route is not None:
        return str(getattr(route, "path", "unmatched"))
    return next((t for pattern, t in templates if pattern.match(scope["path"])), "unmatched")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._templates: list[tuple[re.Pattern[str], str]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _has_controls(scope):
            # No id, filter or code contains one: a NUL cannot be stored in Postgres, a
            # newline or an escape would forge or recolour log lines. Refused here, once.
            await _refuse_controls(send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        with log_context(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                elapsed = time.perf_counter() - started
                if self._templates is None and "route" not in scope:
                    self._templates = path_templates(scope.get("app"))
                route = route_label(scope, self._templates or [])
                HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
                HTTP_LATENCY.labels(scope["method"], route).observe(elapsed)
                log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 1),
                    },
                )
