"""The root of qbsync's error tree; every feature's errors subclass it.

    QbsyncError                      500  code="internal_error"
    ├── InvalidInput                 422  bad input from a caller or an event
    ├── NotFound                     404
    ├── Conflict                     409
    ├── Unauthorized                 401
    ├── Forbidden                    403
    ├── DependencyUnavailable        503  retryable: a service we call is down
    └── ... feature trees (quickbooks.errors, aforo.errors, connections.errors)

Each class carries a stable ``code``, the HTTP ``status_code`` the API answers with, and
whether the failed operation may be retried as it is. ``category`` is the sync-log
error category (TRANSIENT, PERMANENT, AUTH, NOT_CONNECTED, DEPENDENCY, INVALID_INPUT).
"""

from __future__ import annotations

from typing import ClassVar


class QbsyncError(Exception):
    code: ClassVar[str] = "internal_error"
    status_code: ClassVar[int] = 500
    retryable: ClassVar[bool] = False
    category: ClassVar[str] = "PERMANENT"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message} ({self.hint})"


class InvalidInput(QbsyncError):
    code = "invalid_input"
    status_code = 422
    category = "INVALID_INPUT"


class NotFound(QbsyncError):
    code = "not_found"
    status_code = 404


class Conflict(QbsyncError):
    code = "conflict"
    status_code = 409


class Unauthorized(QbsyncError):
    code = "unauthorized"
    status_code = 401
    category = "AUTH"


class Forbidden(QbsyncError):
    code = "forbidden"
    status_code = 403
    category = "AUTH"


class DependencyUnavailable(QbsyncError):
    code = "dependency_unavailable"
    status_code = 503
    retryable = True
    category = "TRANSIENT"
