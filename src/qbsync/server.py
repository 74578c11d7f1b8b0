"""How ``qbsync serve`` runs the app under uvicorn: limits, timeouts and one access log.

uvicorn bounds idle keep-alive connections but not a request that arrives slowly: a client
trickling one header byte every few seconds holds its connection (and a file descriptor)
forever. ``deadline_protocol`` adds the two deadlines a reverse proxy would enforce
(nginx's ``client_header_timeout`` and ``client_body_timeout``) and a cap on header bytes, so
qbsync is safe to expose on its own; in production a proxy in front does the same earlier
(see docs/production.md).
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from qbsync.config import ServerSettings

_RESPONSES = {
    408: b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    431: (
        b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
        b"content-length: 0\r\nconnection: close\r\n\r\n"
    ),
}


class DeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for the request's headers, another for
    its body, and a cap on header bytes. Subclassed per server by ``deadline_protocol``."""

    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    max_header_bytes: int = 64 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._reading_headers = True
        self._header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._reading_headers and not self.transport.is_closing():
            self._header_bytes += len(data)
            if self._header_bytes > self.max_header_bytes:
                self._refuse(431)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        # The next request on a kept-alive connection gets its own header deadline.
        self._reading_headers = True
        self._header_bytes = 0
        if self._deadline is None:
            self._arm(self.header_timeout_s)

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        self._arm(self.body_timeout_s)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.cycle is not None and not self.cycle.response_complete:
            # The app is reading the body: closing makes its receive() see a disconnect.
            self.cycle.disconnected = True
        self._refuse(408)

    def _refuse(self, status: int) -> None:
        self._disarm()
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(_RESPONSES[status])
        self.transport.close()


def deadline_protocol(settings: ServerSettings) -> type[DeadlineProtocol]:
    return type(
        "QbsyncHttpProtocol",
        (DeadlineProtocol,),
        {
            "header_timeout_s": settings.header_timeout_s,
            "body_timeout_s": settings.body_timeout_s,
            "max_header_bytes": settings.max_header_bytes,
        },
    )


def server_config(app: Any, settings: ServerSettings, **overrides: Any) -> uvicorn.Config:
    """The uvicorn configuration ``qbsync serve`` runs with. uvicorn's own access log is off:
    ``api.middleware`` writes one line per request, its path without the query string
    (signed PDF links and OAuth codes travel there)."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "access_log": False,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "http": deadline_protocol(settings),
        "limit_concurrency": settings.limit_concurrency,
        "backlog": settings.backlog,
        "timeout_keep_alive": settings.keep_alive_s,
        "timeout_graceful_shutdown": settings.shutdown_grace_s,
        "server_header": False,
    }
    return uvicorn.Config(app, **(options | overrides))
