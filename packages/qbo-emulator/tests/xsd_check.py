"""Validate a JSON payload a test builds against Intuit's XSD for its entity.

JSON reference objects (``{"value": "1", "name": "x"}``) are XML text with attributes, and
the entity's ``domain``/``sparse``/``status`` are attributes; the rest maps key for element.
``unordered`` lets the JSON key order stand in for the XSD's element order.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

import xmlschema

from support import XSD_DIR

NAMESPACE = "http://schema.intuit.com/finance/v3"
ATTRIBUTES = ("domain", "sparse", "status")


@cache
def _schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD_DIR / "IntuitRestServiceDef.xsd"))


def _to_xml_dict(value: Any) -> Any:
    if isinstance(value, list):
        return [_to_xml_dict(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int):
        return str(value)
    if not isinstance(value, dict):
        return value
    if "value" in value and set(value) <= {"value", "name", "type"}:
        return {"$": str(value["value"]), **{f"@{k}": v for k, v in value.items() if k != "value"}}
    return {
        (f"@{key}" if key in ATTRIBUTES else key): _to_xml_dict(item) for key, item in value.items()
    }


def assert_valid(entity: str, payload: dict[str, Any]) -> None:
    """Fails the test when ``payload`` is not a valid ``entity`` per the XSD."""
    data = {"@xmlns": NAMESPACE, **_to_xml_dict(payload)}
    element = _schema().maps.elements[f"{{{NAMESPACE}}}{entity}"]
    element.encode(data, unordered=True, validation="strict")
