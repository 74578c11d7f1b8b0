"""Errors of the scheduler.

QbsyncError
├── RecordedError                ...  a failure as its attempt recorded it, read back by
│                                     the person waiting (code, status, category: the
│                                     original error's)
└── DependencyUnavailable        503  retryable
    └── DatabaseUnavailable      503  Postgres is away: nothing committed, nothing counted
                                      (under a consumer: retried through the ingress's
                                      delays, never parked)
"""

from __future__ import annotations

from qbsync.errors import DependencyUnavailable, ErrorCategory, QbsyncError


class DatabaseUnavailable(DependencyUnavailable):
    code = "database_unavailable"


class RecordedError(QbsyncError):
    code = "recorded_failure"

    def __init__(
        self, message: str, *, code: str, status_code: int, retryable: bool, category: str
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.code = code  # type: ignore[misc]
        self.status_code = status_code  # type: ignore[misc]
        self.category = ErrorCategory(category)  # type: ignore[misc]
