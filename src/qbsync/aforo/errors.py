"""The errors the Aforo adapters raise; services never see httpx exceptions.

    QbsyncError
    └── AforoError                  a call to an Aforo service failed
        ├── AforoNotFound           404: the record does not exist       (DEPENDENCY)
        ├── AforoNotReady           not there *yet*: metering's 404 right after the
        │                           webhook, before its transaction commits
        │                               retryable briefly, 2 delayed retries (DEPENDENCY)
        ├── AforoUnavailable        5xx, 408, 429, network error or timeout
        │                                                       retryable (TRANSIENT)
        ├── AforoRejected           any other 4xx, including 401/403     (PERMANENT)
        └── AforoBadPayload         the answer does not match our schema (INVALID_INPUT)

Every instance names the ``service`` it called ("org", "metering", "rateplan", "payment")
and the ``upstream_status`` it got (None when no response arrived).
"""

from __future__ import annotations

from typing import Literal

from qbsync.errors import ErrorCategory, QbsyncError

AforoService = Literal["org", "metering", "rateplan", "payment"]


class AforoError(QbsyncError):
    code = "aforo_error"
    status_code = 502

    def __init__(
        self,
        message: str,
        *,
        service: AforoService,
        upstream_status: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.service: AforoService = service
        self.upstream_status = upstream_status


class AforoNotFound(AforoError):
    code = "aforo_not_found"
    status_code = 404
    category = ErrorCategory.DEPENDENCY


class AforoNotReady(AforoError):
    """Metering's 404 is also its answer for an id it never had: waited out for two short
    retries (35 s with the default delays), then the event is parked."""

    code = "aforo_not_ready"
    status_code = 503
    retryable = True
    retry_budget = 2
    category = ErrorCategory.DEPENDENCY


class AforoUnavailable(AforoError):
    code = "aforo_unavailable"
    status_code = 503
    retryable = True
    category = ErrorCategory.TRANSIENT

    def __init__(
        self,
        message: str,
        *,
        service: AforoService,
        upstream_status: int | None = None,
        hint: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, service=service, upstream_status=upstream_status, hint=hint)
        # Read by qbsync.http.retry_policy, which waits at least this long.
        self.retry_after_s = retry_after_s


class AforoRejected(AforoError):
    code = "aforo_rejected"
    status_code = 502


class AforoBadPayload(AforoError):
    code = "aforo_bad_payload"
    status_code = 502
    category = ErrorCategory.INVALID_INPUT
