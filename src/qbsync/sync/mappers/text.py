"""Text rules QBO imposes on names, notes and references, and the payload hash."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import date
from decimal import Decimal

from pydantic import BaseModel

DISPLAY_NAME_MAX = 500
ITEM_NAME_MAX = 100
DOC_NUMBER_MAX = 21

_COLON = re.compile(r"\s*:\s*")
# C0 and C1 controls, and lone surrogates (a JSON "\ud800" escape) UTF-8 cannot encode.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SPACES = re.compile(r"\s+")


def clean_text(value: str | None, *, max_len: int) -> str | None:
    """NFC, control characters to spaces, runs of whitespace folded, trimmed, cut to length."""
    if value is None:
        return None
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", value))
    text = _SPACES.sub(" ", text).strip()
    return text[:max_len].rstrip() or None


def clean_name(value: str | None, *, max_len: int) -> str | None:
    """A QBO name: no colon (the sub-customer separator), tab or newline."""
    if value is None:
        return None
    return clean_text(_COLON.sub(" - ", value), max_len=max_len)


def with_suffix(name: str, suffix: str, *, max_len: int) -> str:
    """``name (suffix)`` cut so that the whole fits and the suffix always survives."""
    tail = f"({suffix})"
    head = name[: max(0, max_len - len(tail) - 1)].rstrip()
    # An empty head must not leave a leading space; a suffix longer than max_len is cut.
    return (f"{head} {tail}" if head else tail)[:max_len]


def short_hash(value: str, length: int = 8) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:length]


def fit_doc_number(number: str) -> str:
    """DocNumber is at most 21 characters; a longer number keeps its head and a hash of the
    whole so that two long numbers never collide."""
    number = number.strip()
    if len(number) <= DOC_NUMBER_MAX:
        return number
    return f"{number[: DOC_NUMBER_MAX - 9]}-{short_hash(number)}"


def _canonical(value: object) -> str:
    if isinstance(value, Decimal):
        # QBO treats 210.0 and 210.00 as one amount: hash the value, not its scale, so that
        # the same payment read from the event ("50.5") and the service ("50.50") is a no-op.
        if value.is_zero():
            return "0"
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, date):  # datetime included
        return value.isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__}")


def payload_hash(payload: BaseModel) -> str:
    """A stable hash of what we would send: unchanged hash, nothing to write."""
    data = payload.model_dump(mode="python", by_alias=True, exclude_none=True)
    canonical = json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_canonical
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def request_id(*parts: object) -> str:
    """A deterministic QBO ``requestid`` (≤ 50 characters) from our own durable key, so that
    a retry, even from another process after a crash, can never write twice."""
    return "qbs-" + hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:40]
