"""Aforo ids as they arrive from outside: bounded where they are parsed, never later.

An Aforo id is a Java ``Long`` that is never zero or negative, and qbsync stores it in a
Postgres ``BIGINT``: anything outside ``1 … MAX_ID`` cannot name a record, so it is refused
at the edge (a 4xx, or a message parked at once) instead of failing deep inside as a 500
or a "database unavailable" retried for an hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from qbsync.errors import InvalidInput
from qbsync.logging import has_controls

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


# An Aforo record's key: the number of a Java Long id, the text of a string id, or None for
# "no Aforo record" (the fallback item).
AforoKey = int | str | None

# Aforo's string ids are stored as ``<prefix><id>`` in 100-character columns.
TEXT_ID_MAX: Final = 90


@dataclass(frozen=True)
class IdCodec:
    """How a kind's Aforo id is written in mappings and the sync log (``CUST-5``), and read
    back from wherever it arrives (``5``, ``"5"``, ``"cust-5"``) with the edge's bounds:
    numbers within ``1 … MAX_ID``, text ids without control characters and at most
    ``TEXT_ID_MAX`` long."""

    prefix: str
    numeric: bool = True
    # The stored id of "no Aforo record" (the item of invoices without a rate plan).
    fallback: str | None = None

    def format(self, key: AforoKey) -> str:
        if key is None:
            if self.fallback is None:
                raise InvalidInput("an Aforo id is required")
            return self.fallback
        return f"{self.prefix}{key}"

    def strip(self, raw: str) -> str:
        value = raw.strip()
        if value.lower().startswith(self.prefix.lower()):
            value = value[len(self.prefix) :]
        return value

    def parse(self, raw: object, *, label: str) -> int | str:
        """The key in ``raw``; ``InvalidInput`` naming ``label`` when it cannot be one."""
        if isinstance(raw, int) and not isinstance(raw, bool):
            number = parse_id(raw)
            if number is None or not self.numeric:
                raise InvalidInput(f"{label} must be a number from 1 to {MAX_ID}, got {raw}")
            return number
        if has_controls(str(raw)):
            raise InvalidInput(f"{label} must not contain control characters")
        text = self.strip(str(raw))
        if self.numeric:
            number = parse_id(text)
            if number is None:
                raise InvalidInput(
                    f"{label} must be a number from 1 to {MAX_ID}, got {str(raw)[:40]!r}"
                )
            return number
        if not text:
            raise InvalidInput(f"{label} is required")
        if len(text) > TEXT_ID_MAX:
            raise InvalidInput(f"{label} is longer than {TEXT_ID_MAX} characters")
        return text
