"""The ``x-qbsync-*`` message headers, reading them back, and redacted body excerpts."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

from aio_pika.abc import HeadersType

ATTEMPT: Final = "x-qbsync-attempt"  # the attempt the next delivery will be (1-based)
LAST_ERROR: Final = "x-qbsync-last-error"
TRIGGER: Final = "x-qbsync-trigger"
PARK_REASON: Final = "x-qbsync-park-reason"
ERROR_CODE: Final = "x-qbsync-error-code"
ERROR_CATEGORY: Final = "x-qbsync-error-category"
ERROR_MESSAGE: Final = "x-qbsync-error-message"
PARKED_AT: Final = "x-qbsync-parked-at"
ATTEMPTS: Final = "x-qbsync-attempts"
SOURCE_QUEUE: Final = "x-qbsync-source-queue"
ROUTING_KEY: Final = "x-qbsync-routing-key"
ORIGINAL_MESSAGE_ID: Final = "x-qbsync-original-message-id"
REPLAYED_AT: Final = "x-qbsync-replayed-at"
# Who the parked message is about, when it could be decoded (operators filter on these).
ORGANIZATION_ID: Final = "x-qbsync-organization-id"
ENTITY_TYPE: Final = "x-qbsync-entity-type"
ENTITY_ID: Final = "x-qbsync-entity-id"

# Set by the broker when it dead-letters a message (a work queue's delivery limit).
FIRST_DEATH_QUEUE: Final = "x-first-death-queue"
FIRST_DEATH_REASON: Final = "x-first-death-reason"
# What the broker adds on dead-lettering and redelivery; copies we publish start clean.
BROKER_HEADERS: Final = frozenset(
    {
        "x-death",
        "x-first-death-exchange",
        FIRST_DEATH_QUEUE,
        FIRST_DEATH_REASON,
        "x-last-death-exchange",
        "x-last-death-queue",
        "x-last-death-reason",
        "x-delivery-count",
    }
)
PARK_HEADERS: Final = frozenset(
    {
        PARK_REASON,
        ERROR_CODE,
        ERROR_CATEGORY,
        ERROR_MESSAGE,
        PARKED_AT,
        ATTEMPTS,
        SOURCE_QUEUE,
        ORIGINAL_MESSAGE_ID,
        ATTEMPT,
        LAST_ERROR,
        ORGANIZATION_ID,
        ENTITY_TYPE,
        ENTITY_ID,
    }
)

MAX_EXCERPT_BYTES: Final = 2048
MAX_HEADER_TEXT: Final = 500
REDACTED: Final = "***"
_SECRET_PAIR = re.compile(
    r'("[^"]*(?:token|secret|password|authorization)[^"]*"\s*:\s*)"(?:[^"\\]|\\.)*"?',
    re.IGNORECASE,
)
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def header_str(headers: Mapping[str, object] | None, name: str) -> str | None:
    value = (headers or {}).get(name)
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


def source_queue(headers: Mapping[str, object] | None) -> str | None:
    """The work queue a parked message came from: ours, or the broker's dead-letter note."""
    return header_str(headers, SOURCE_QUEUE) or header_str(headers, FIRST_DEATH_QUEUE)


def header_int(headers: Mapping[str, object] | None, name: str) -> int | None:
    value = (headers or {}).get(name)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = header_str(headers, name)
    if text is not None and text.strip().isascii() and text.strip().isdigit():
        return int(text.strip())
    return None


def copy_headers(headers: Mapping[str, object] | None, *, drop: Iterable[str]) -> HeadersType:
    """The headers minus ``drop`` and the broker's own, ready to publish again."""
    dropped = frozenset(drop) | BROKER_HEADERS
    result: HeadersType = {}
    for key, value in (headers or {}).items():
        if key in dropped:
            continue
        if value is None or isinstance(value, bool | bytes | bytearray | int | float | str):
            result[key] = value
        else:
            # Nested tables/arrays and timestamps from other publishers: keep them readable
            # without trusting their types to survive a second encoding.
            result[key] = str(value)
    return result


def clip(text: str, limit: int = MAX_HEADER_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def body_excerpt(body: bytes, limit: int = MAX_EXCERPT_BYTES) -> str:
    """At most ``limit`` bytes of the body as text, with tokens and secrets redacted."""
    # Redacted as text, not re-serialized, so the excerpt shows exactly what was sent; only
    # a bounded prefix is scanned, so an oversized body costs nothing extra. A value cut
    # off at the end still matches (its closing quote is optional).
    text = body[: limit * 8].decode("utf-8", errors="replace")
    text = _SECRET_PAIR.sub(rf'\1"{REDACTED}"', text)
    text = _JWT.sub(REDACTED, text)
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")
