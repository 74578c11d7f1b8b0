"""Logging set-up: JSON or console lines, with request/message context from contextvars."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from qbsync.config import LogSettings

_context: ContextVar[dict[str, Any] | None] = ContextVar("qbsync_log_context", default=None)

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
# uvicorn's ``color_message`` repeats the message with ANSI colour codes: never a field.
_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}
# C0/C1 controls (newline, ESC…) and the Unicode line separators: in a console line they
# would let a caller-supplied id forge a line or recolour the terminal.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SECRET_KEYS = {"authorization", "access_token", "refresh_token", "token", "jwt", "jwttoken"}


def current_context() -> dict[str, Any]:
    return dict(_context.get() or {})


@contextmanager
def log_context(**values: Any) -> Iterator[None]:
    """Bind ids (request_id, message_id, org_id, realm_id, entity…) for the enclosed code."""
    merged = {**(_context.get() or {}), **{k: v for k, v in values.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def bind_context(**values: Any) -> None:
    """Add ids to the current context (the caller's context manager will drop them)."""
    _context.set({**(_context.get() or {}), **{k: v for k, v in values.items() if v is not None}})


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = current_context()
    for key, value in record.__dict__.items():
        if key not in _RESERVED and not key.startswith("_"):
            fields[key] = "[redacted]" if key.lower() in _SECRET_KEYS else value
    return fields


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def has_controls(text: str) -> bool:
    """Whether ``text`` holds a character a log line would have to escape (ids never do)."""
    return _CONTROL.search(text) is not None


def escape_controls(text: str) -> str:
    """``text`` with every control character written as its escape (``\\n``, ``\\x1b``)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class ConsoleFormatter(logging.Formatter):
    """One line per record (a traceback follows on its own lines): the message and every
    field have their control characters escaped."""

    def format(self, record: logging.LogRecord) -> str:
        safe = logging.makeLogRecord(
            {**record.__dict__, "msg": escape_controls(record.getMessage()), "args": None}
        )
        line = self.formatMessage(self._with_time(safe))
        fields = _fields(record)
        if fields:
            line += " " + " ".join(f"{k}={escape_controls(str(v))}" for k, v in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        elif record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line

    def _with_time(self, record: logging.LogRecord) -> logging.LogRecord:
        record.message = record.getMessage()
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        return record


def configure_logging(settings: LogSettings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.json_format:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(ConsoleFormatter("%(asctime)s %(levelname)-5s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level.upper())
    # httpx logs every request line at INFO, including query strings; ours are enough.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)
