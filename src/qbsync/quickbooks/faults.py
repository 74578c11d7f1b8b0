"""Finds the Fault in a QBO answer: JSON in either casing, XML ``IntuitResponse``, or none."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from qbsync.quickbooks.schemas.fault import Fault

# Data services say {"Fault":{"Error":[{"Message":…,"code":…}]}}; the gateway (401/403/429)
# says {"fault":{"error":[{"message":…,"code":…}]}}. Keys are matched case-insensitively and
# renamed to the canonical spelling before validation.
_ERROR_KEYS = {"message": "Message", "detail": "Detail", "code": "code", "element": "element"}
_ERROR_CODE_IN_MESSAGE = re.compile(r"errorCode=(\d+)")


def _get(mapping: Mapping[str, Any], name: str) -> Any:
    for key, value in mapping.items():
        if isinstance(key, str) and key.lower() == name:
            return value
    return None


def _canonical_error(raw: Mapping[str, Any]) -> dict[str, Any]:
    error: dict[str, Any] = {}
    for key, value in raw.items():
        canonical = _ERROR_KEYS.get(str(key).lower())
        if canonical is not None and value is not None:
            error[canonical] = value if isinstance(value, str | int) else str(value)
    return error


def fault_from_json(document: Any) -> Fault | None:
    """The Fault of a decoded JSON answer, or None when it carries none."""
    if not isinstance(document, Mapping):
        return None
    raw_fault = _get(document, "fault")
    if not isinstance(raw_fault, Mapping):
        return None
    raw_errors = _get(raw_fault, "error")
    if isinstance(raw_errors, Mapping):
        raw_errors = [raw_errors]
    errors = [_canonical_error(e) for e in raw_errors or [] if isinstance(e, Mapping)]
    fault_type = _get(raw_fault, "type")
    try:
        return Fault.model_validate(
            {"Error": errors, "type": fault_type if isinstance(fault_type, str) else None}
        )
    except ValidationError:
        return Fault()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(element: ET.Element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip() or None
    return None


def fault_from_xml(body: bytes) -> Fault | None:
    """The Fault of an XML ``IntuitResponse`` (QBO throttles in XML even when asked for JSON)."""
    try:
        # Expat (3.11+) refuses external entities and caps entity expansion.
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    fault_element = next((e for e in root.iter() if _local(e.tag) == "Fault"), None)
    if fault_element is None:
        return None
    errors = []
    for error in fault_element:
        if _local(error.tag) != "Error":
            continue
        errors.append(
            {
                "Message": _child_text(error, "Message"),
                "Detail": _child_text(error, "Detail"),
                "code": error.get("code"),
                "element": error.get("element"),
            }
        )
    return Fault.model_validate({"Error": errors, "type": fault_element.get("type")})


def read_fault(body: bytes) -> Fault | None:
    """The Fault in any answer body; HTML, empty or garbage bodies give None."""
    text = body.lstrip()
    if text.startswith((b"{", b"[")):
        try:
            return fault_from_json(json.loads(text))
        except ValueError:
            return None
    if text.startswith(b"<"):
        return fault_from_xml(text)
    return None


def code_of(message: str | None) -> str | None:
    """The code hidden in a gateway message (``errorCode=003001``), when ``code`` is missing."""
    if not message:
        return None
    found = _ERROR_CODE_IN_MESSAGE.search(message)
    return found.group(1) if found else None
