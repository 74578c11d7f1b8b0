"""Aforo ids as they arrive from outside: bounded where they are parsed, never later.

An Aforo id is a Java ``Long`` that is never zero or negative, and qbsync stores it in a
Postgres ``BIGINT``: anything outside ``1 … MAX_ID`` cannot name a record, so it is refused
at the edge (a 4xx, or a message parked at once) instead of failing deep inside as a 500
or a "database unavailable" retried for an hour.
"""

from __future__ import annotations

from typing import Final

MAX_ID: Final = 2**63 - 1


def is_valid_id(value: int) -> bool:
    return 0 < value <= MAX_ID


def parse_id(value: object) -> int | None:
    """An int, or a string of ASCII digits, within ``1 … MAX_ID``; anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        # Length first: int() of a huge digit string is slow, and cannot be in range anyway.
        if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
            return None
        value = int(text)
    if isinstance(value, int) and is_valid_id(value):
        return value
    return None
