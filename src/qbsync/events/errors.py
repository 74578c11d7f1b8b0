"""Errors raised by the events package.

    QbsyncError
    ├── InvalidInput                 422
    │   └── InvalidMessage           422  a message body we cannot turn into an event
    ├── Conflict                     409
    │   └── NotReplayable            409  a parked message that does not say where it came from
    └── DependencyUnavailable        503  retryable
        └── BrokerUnavailable        503  RabbitMQ is down, or did not confirm a publish (DEPENDENCY)

``InvalidMessage.reason_code`` says which check failed (one of ``REASON_CODES``); it ends
up in the parked message's ``x-qbsync-error-code`` header and in the sync log.
"""

from __future__ import annotations

from typing import Final

from qbsync.errors import Conflict, DependencyUnavailable, ErrorCategory, InvalidInput

OVERSIZED_BODY: Final = "oversized_body"
UNSUPPORTED_CONTENT_TYPE: Final = "unsupported_content_type"
INVALID_JSON: Final = "invalid_json"
WRONG_SCHEMA: Final = "wrong_schema"
UNKNOWN_EVENT_TYPE: Final = "unknown_event_type"
REASON_CODES: Final = frozenset(
    {OVERSIZED_BODY, UNSUPPORTED_CONTENT_TYPE, INVALID_JSON, WRONG_SCHEMA, UNKNOWN_EVENT_TYPE}
)


class InvalidMessage(InvalidInput):
    code = "invalid_message"

    def __init__(self, reason_code: str, detail: str) -> None:
        super().__init__(f"{reason_code}: {detail}")
        self.reason_code = reason_code
        self.detail = detail


class BrokerUnavailable(DependencyUnavailable):
    code = "broker_unavailable"
    category = ErrorCategory.DEPENDENCY


class NotReplayable(Conflict):
    code = "parked_message_not_replayable"
