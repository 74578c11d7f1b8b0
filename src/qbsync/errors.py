"""The root of qbsync's error tree and its one vocabulary of error categories.

    QbsyncError                      500  internal_error              PERMANENT
    ├── InvalidInput                 422  bad input from a caller or an event   INVALID_INPUT
    ├── NotFound                     404
    ├── Conflict                     409
    ├── Unauthorized                 401                              AUTH
    ├── Forbidden                    403                              AUTH
    ├── DependencyUnavailable        503  retryable: a service we call is down  TRANSIENT
    └── ... each package's own tree, drawn in its errors.py: aforo, api, connections,
        db, events, quickbooks, scheduler, sync

    SettingsError                         start-up only: settings that do not load, each
                                          offending variable named (not a QbsyncError)

Each class carries a stable ``code``, the HTTP ``status_code`` the API answers with and its
``category`` (an ``ErrorCategory``: what the sync log, the parked message's headers and the
operator see). ``retryable`` says whether the failed operation may be retried as it is: the
class declares the default, and one error may say otherwise through the constructor (a
failure caused by another, say, is as retryable as its cause).
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class SettingsError(Exception):
    """Settings could not be loaded; the message names each offending variable."""


class ErrorCategory(StrEnum):
    TRANSIENT = "TRANSIENT"
    PERMANENT = "PERMANENT"
    AUTH = "AUTH"
    NOT_CONNECTED = "NOT_CONNECTED"
    DEPENDENCY = "DEPENDENCY"
    INVALID_INPUT = "INVALID_INPUT"


class QbsyncError(Exception):
    code: ClassVar[str] = "internal_error"
    status_code: ClassVar[int] = 500
    category: ClassVar[ErrorCategory] = ErrorCategory.PERMANENT
    retryable: bool = False
    # A retryable error that may be waited out only briefly: at most this many delayed
    # retries of an event (None: every step of QBSYNC_AMQP__RETRY_DELAYS_S).
    retry_budget: int | None = None
    # A retryable error whose cause passes within moments (another sync holds the record
    # and commits soon): its first retry comes after this many seconds instead of the first
    # of the retry delays; later ones follow those.
    first_retry_s: float | None = None

    def __init__(
        self, message: str, *, hint: str | None = None, retryable: bool | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message} ({self.hint})"

    def retries_after(self, attempt: int) -> bool:
        """Whether attempt number ``attempt``, failed with this, is worth another: retryable
        and within its retry budget. The sync log's status and the scheduler's decision both
        ask this, so a row that says FAILED is never followed by a retry."""
        return self.retryable and (self.retry_budget is None or attempt <= self.retry_budget)


class InvalidInput(QbsyncError):
    code = "invalid_input"
    status_code = 422
    category = ErrorCategory.INVALID_INPUT


class NotFound(QbsyncError):
    code = "not_found"
    status_code = 404


class Conflict(QbsyncError):
    code = "conflict"
    status_code = 409


class Unauthorized(QbsyncError):
    code = "unauthorized"
    status_code = 401
    category = ErrorCategory.AUTH


class Forbidden(QbsyncError):
    code = "forbidden"
    status_code = 403
    category = ErrorCategory.AUTH


class DependencyUnavailable(QbsyncError):
    code = "dependency_unavailable"
    status_code = 503
    retryable = True
    category = ErrorCategory.TRANSIENT
