"""Query filters of the operator routes: a value that can never match is the caller's
mistake, answered 422 naming the allowed values, never an empty page."""

from __future__ import annotations

from collections.abc import Iterable

from qbsync.errors import InvalidInput


def choice(name: str, value: str | None, allowed: Iterable[str]) -> str | None:
    """``value`` as stored (upper case), or None when the filter is not given."""
    if not value:
        return None
    stored = value.strip().upper()
    choices = [str(option) for option in allowed]
    if stored not in choices:
        raise InvalidInput(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return stored
