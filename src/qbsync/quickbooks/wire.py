"""JSON to and from QBO without binary floats: Decimal in, Decimal out, UTF-8 bytes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from qbsync.quickbooks.schemas.base import QboEntity


def loads(body: bytes) -> Any:
    """Decode a QBO answer; every JSON fraction becomes a Decimal (``100.0`` stays exact)."""
    return json.loads(body, parse_float=Decimal)


def dumps(value: Any) -> bytes:
    """Encode a payload. Decimals are written as JSON numbers with their exact digits.

    The stdlib encoder can only emit numbers from float, so a Decimal would either turn
    into a string or pick up binary noise; this small encoder avoids both.
    """
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts).encode("utf-8")


# The stdlib encoder's own string escaping (its C function), without building an encoder
# per value as ``json.dumps`` does: the writer of every payload and snapshot.
_string = json.encoder.encode_basestring
_LITERALS = {None: "null", True: "true", False: "false"}


def _encode(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(_string(value))
    elif value is None or isinstance(value, bool):
        out.append(_LITERALS[value])
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send non-finite number {value!r} to QuickBooks")
        out.append(format(value, "f"))
    elif isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in a QuickBooks payload; use an aware one")
        out.append(_string(value.isoformat()))
    elif isinstance(value, date):
        out.append(_string(value.isoformat()))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(_string(str(key)))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(value).__name__} for QuickBooks")


# Set by QBO, never by us: dropped from what we send.
_READ_ONLY = ("MetaData", "domain", "status", "sparse")


def entity_payload(entity: QboEntity) -> dict[str, Any]:
    """The wire dict for an entity: fields that are None are not sent (sparse-safe)."""
    payload = entity.model_dump(mode="python", by_alias=True, exclude_none=True)
    for key in _READ_ONLY:
        payload.pop(key, None)
    return payload
