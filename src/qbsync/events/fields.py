"""Field types for event schemas: ids, money and instants the way the Java services write them.

Jackson writes a ``Long`` id as a JSON number, but hand-written publishers and older tools
send strings; Spring AMQP's default converter writes an ``Instant`` as decimal epoch seconds
(``1732147200.123456789``) while Spring Boot's mapper writes ISO-8601 (see
shared/reference/aforo-original.md §2d). Every form is accepted here, and nothing else.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from qbsync.ids import MAX_ID
from qbsync.logging import has_controls

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Epoch values this large are milliseconds (Jackson with WRITE_DATE_TIMESTAMPS_AS_NANOSECONDS
# off): 1e11 seconds would be the year 5138. pydantic uses the same kind of cut-off.
_MILLIS_THRESHOLD = Decimal(100_000_000_000)
_MICROS = Decimal(1_000_000)


def _coerce_int_id(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("an id must be a number or a numeric string, not a boolean")
    if isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            raise ValueError("an id must be a whole number")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()):
            raise ValueError("an id string must contain only digits")
        if len(text) > len(str(MAX_ID)):
            raise ValueError(f"an id must be at most {MAX_ID}")
        return int(text)
    return value


def _coerce_str_id(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("an id must be a number or a string, not a boolean")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            raise ValueError("a numeric id must be a whole number")
        return str(int(value))
    if isinstance(value, str):
        if has_controls(value):
            # No Aforo id holds one; in a log line it would forge or recolour a line.
            raise ValueError("an id must not contain control characters")
        return value.strip()
    return value


def _coerce_money(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("an amount must be a number or a numeric string, not a boolean")
    if isinstance(value, float):
        # Only Python callers can hand us a float (JSON is parsed with parse_float=Decimal);
        # go through repr so 210.1 stays 210.1 instead of its binary expansion.
        return Decimal(repr(value))
    return value


def _from_epoch(seconds: Decimal) -> datetime:
    if abs(seconds) >= _MILLIS_THRESHOLD:
        seconds = seconds / 1000
    whole = int(seconds)
    micros = int(((seconds - whole) * _MICROS).to_integral_value(rounding=ROUND_DOWN))
    return _EPOCH + timedelta(seconds=whole, microseconds=micros)


def _coerce_instant(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("a time must be an ISO-8601 string or epoch seconds, not a boolean")
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            raise ValueError("epoch seconds must be finite")
        return _from_epoch(number)
    if isinstance(value, str):
        text = value.strip()
        try:
            return _from_epoch(Decimal(text))
        except InvalidOperation:
            pass
        if len(text) == 10:
            # A LocalDate such as a billing period boundary: midnight UTC.
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        return text
    if isinstance(value, list) and 3 <= len(value) <= 7 and all(type(v) is int for v in value):
        # Jackson's JavaTimeModule writes LocalDate / LocalDateTime as arrays when
        # WRITE_DATES_AS_TIMESTAMPS is on: [y, m, d, h, min, s, nanos]; read them as UTC.
        year, month, day, hour, minute, second, nanos = [*value, 0, 0, 0, 0][:7]
        return datetime(year, month, day, hour, minute, second, nanos // 1000, tzinfo=UTC)
    return value


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# An Aforo ``Long`` id: a JSON number or a string of digits, never zero, negative or
# beyond a BIGINT (such a message can never succeed: it is parked at once).
AforoId = Annotated[int, BeforeValidator(_coerce_int_id), Field(gt=0, le=MAX_ID)]
# An id that is a string on our side (payment ids): numbers are turned into their digits.
# 90 leaves room for the sync log's "payment-" prefix in its 100-character column.
AforoStrId = Annotated[str, BeforeValidator(_coerce_str_id), Field(min_length=1, max_length=90)]
Money = Annotated[Decimal, BeforeValidator(_coerce_money), Field(allow_inf_nan=False)]
# A timezone-aware UTC instant.
Instant = Annotated[datetime, BeforeValidator(_coerce_instant), AfterValidator(_as_utc)]
