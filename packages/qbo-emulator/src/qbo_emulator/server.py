"""Running the emulator over real HTTP: in a background thread (tests) or blocking (CLI)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import uvicorn
from fastapi import APIRouter, FastAPI

from qbo_emulator.app import create_emulator_app
from qbo_emulator.config import EmulatorConfig
from qbo_emulator.injection import ResponseDroppedError
from qbo_emulator.state import EmulatorState

STARTUP_TIMEOUT_S = 10.0


class _DroppedResponseFilter(logging.Filter):
    """Hides uvicorn's error log for connections the emulator drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ResponseDroppedError)


def _install_log_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DroppedResponseFilter) for f in logger.filters):
        logger.addFilter(_DroppedResponseFilter())


def _emulator_state(app: FastAPI) -> EmulatorState | None:
    state = getattr(app.state, "emulator", None)
    return state if isinstance(state, EmulatorState) else None


@contextmanager
def serve_in_thread(app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on its own loop in a thread; yield ``http://host:port``."""
    _install_log_filter()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_config=None, log_level="warning", lifespan="on", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    state = _emulator_state(app)
    if state is not None:
        state.closing.clear()
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError("the emulator server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{bound_port}"
    finally:
        if state is not None:
            state.closing.set()  # ends withheld answers so shutdown is quick
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT_S)
        sock.close()


def run(
    host: str, port: int, config: EmulatorConfig, extra_routers: Sequence[APIRouter] = ()
) -> None:
    """Serve the emulator until interrupted (``qbsync emulator``)."""
    _install_log_filter()
    app = create_emulator_app(config, extra_routers=extra_routers)
    uvicorn.run(app, host=host, port=port, timeout_graceful_shutdown=2)
