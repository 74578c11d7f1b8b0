"""Payloads as the sync log keeps them: secrets dropped, personal details masked."""

from __future__ import annotations

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


def _walk(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: ("[redacted]" if _is_secret(k) else _walk(v, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(item, key) for item in value]
    if isinstance(value, str):
        if key == "Address" and "@" in value:
            return _mask_email(value)
        if key == "FreeFormNumber":
            return _mask_phone(value)
    return value


def redact(payload: BaseModel | dict[str, Any] | None) -> dict[str, Any] | None:
    if payload is None:
        return None
    data = (
        payload.model_dump(mode="json", by_alias=True, exclude_none=True)
        if isinstance(payload, BaseModel)
        else payload
    )
    redacted: dict[str, Any] = _walk(data)
    return redacted
