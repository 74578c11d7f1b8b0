"""Payloads as the sync log keeps them: secrets dropped, personal details masked."""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

from pydantic import BaseModel

_SECRET_KEY = re.compile(r"token|secret|password|authorization", re.IGNORECASE)
_EMAIL = re.compile(r"^([^@]{1,2})[^@]*(@.+)$")


def _mask_email(value: str) -> str:
    return _EMAIL.sub(r"\1***\2", value)


def _mask_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return f"***{digits[-2:]}" if digits else "***"


@functools.lru_cache(maxsize=4096)
def _is_secret(key: str) -> bool:
    # Payloads repeat a few hundred field names: each is searched once.
    return _SECRET_KEY.search(key) is not None


def _masked(value: str, key: str) -> str:
    if key == "Address" and "@" in value:
        return _mask_email(value)
    if key == "FreeFormNumber":
        return _mask_phone(value)
    return value


def _scrub(data: dict[str, Any]) -> None:
    """Secrets dropped and personal details masked, in place: a model is dumped for the log
    alone, so nothing needs copying (every sync-log row redacts two payloads)."""
    for k, v in data.items():
        data[k] = "[redacted]" if _is_secret(k) else _scrubbed(v, k)


def _scrubbed(value: Any, key: str) -> Any:
    """``value`` with what it holds scrubbed in place, or a string masked as ``key`` asks."""
    if isinstance(value, dict):
        _scrub(value)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            value[i] = _scrubbed(item, key)
    elif isinstance(value, str):
        return _masked(value, key)
    return value


def redact(payload: BaseModel | dict[str, Any] | None) -> dict[str, Any] | None:
    if payload is None:
        return None
    if isinstance(payload, BaseModel):
        data: dict[str, Any] = payload.model_dump(mode="json", by_alias=True, exclude_none=True)
    else:
        data = copy.deepcopy(payload)  # the caller's own: left as it is
    _scrub(data)
    return data
