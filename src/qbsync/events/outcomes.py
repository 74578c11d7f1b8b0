"""What the consumer runner reports for outcomes the handler could not log itself."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from qbsync.errors import ErrorCategory


class ParkReason(StrEnum):
    """Why a message went to the parking queue (header ``x-qbsync-park-reason``)."""

    INVALID_MESSAGE = "invalid_message"  # not JSON, wrong schema, oversized, wrong type
    PERMANENT_ERROR = "permanent_error"  # the handler raised a non-retryable QbsyncError
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"  # retryable, but every delay step was used
    UNEXPECTED_ERROR = "unexpected_error"  # the handler raised something else: a bug


RETRY_SCHEDULED = "retry_scheduled"


class RunnerOutcome(BaseModel):
    """One sync-log-worthy outcome decided by the runner.

    ``status`` is RETRYING when a delayed retry was scheduled (``next_delay_s`` set), FAILED
    when the message was parked. Ids are filled in when the body could be decoded far
    enough to read them. ``body_excerpt`` is at most 2 KB with tokens redacted.
    """

    model_config = ConfigDict(frozen=True)

    status: Literal["RETRYING", "FAILED"]
    reason: str  # a ParkReason value, or "retry_scheduled"
    category: ErrorCategory
    code: str  # error code, InvalidMessage reason code, or the exception type for bugs
    message: str
    attempts: int  # attempts made so far, this one included
    next_delay_s: float | None = None
    routing_key: str
    queue: str
    entity_type: str | None = None  # CUSTOMER | INVOICE | PAYMENT
    entity_id: str | None = None
    organization_id: int | None = None
    correlation_id: str
    message_id: str | None = None
    body_excerpt: str
    occurred_at: datetime


class OutcomeRecorder(Protocol):
    """Writes a sync-log row for a runner outcome; raising makes the runner keep the message."""

    async def record(self, outcome: RunnerOutcome) -> None: ...
