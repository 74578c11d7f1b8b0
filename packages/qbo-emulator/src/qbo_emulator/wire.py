"""JSON on the wire: Decimal money in and out as JSON numbers, and QBO's response headers."""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from typing import Any

from starlette.responses import Response

# Wire documents are JSON trees; inside the emulator they stay JSON-shaped on purpose
# (QBO echoes fields back that we only store), so this is the one place that says what
# such a tree may hold.
JsonValue = Any
JsonObject = dict[str, Any]

JSON_CONTENT_TYPE = "application/json;charset=utf-8"
QBO_VERSION = "1990.100"


class WireError(ValueError):
    """The request body is not a JSON object."""


def loads(raw: bytes) -> JsonObject:
    """Parse a request body; numbers with a fraction become Decimal, never float."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError(str(exc)) from None
    if not isinstance(value, dict):
        raise WireError("the body must be a JSON object")
    return value


def _encode(value: JsonValue, out: list[str]) -> None:
    # json.dumps would turn Decimal into a float (or fail); QBO sends amounts such as
    # 100.00 verbatim, so numbers are written from their decimal text.
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, Decimal):
        out.append(format(value, "f"))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps(value: JsonValue) -> bytes:
    out: list[str] = []
    _encode(value, out)
    return "".join(out).encode("utf-8")


def new_tid() -> str:
    """An ``intuit_tid`` in Intuit's shape: ``1-5f732f68-d4d3c70ce72c15e07d2bc328``."""
    return f"1-{secrets.token_hex(4)}-{secrets.token_hex(12)}"


def json_response(
    body: JsonObject, status: int = 200, *, headers: dict[str, str] | None = None
) -> Response:
    """A QBO-style JSON response (the ``intuit_tid`` header is added by the app middleware)."""
    merged = {"QBO-Version": QBO_VERSION, **(headers or {})}
    return Response(dumps(body), status_code=status, media_type=JSON_CONTENT_TYPE, headers=merged)
