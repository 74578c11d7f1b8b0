"""JSON payload -> XML by the fixtures README rule, for validation against Intuit's XSDs.

PascalCase keys become child elements, written in the schema's sequence order; lower-case
keys become attributes; on simple-content types (ReferenceType, MemoRef) ``value`` is the
element text. Unknown keys are kept as elements so that validation fails on them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import xmlschema

NS = "http://schema.intuit.com/finance/v3"
# Intuit's schemas (Apache 2.0, LICENSE.txt beside them), kept in the repository so that a
# clone anywhere can validate what qbsync writes.
XSD_DIR = Path(__file__).resolve().parents[1] / "fixtures/intuit-xsd"


@lru_cache(maxsize=1)
def intuit_schema() -> xmlschema.XMLSchema:
    """Loaded once per test session (Finance.xsd alone is half a megabyte)."""
    return xmlschema.XMLSchema(str(XSD_DIR / "IntuitRestServiceDef.xsd"))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def to_xml(root: str, data: dict[str, Any]) -> ET.Element:
    schema = intuit_schema()
    xsd_element = schema.elements[root]
    return _element(schema, xsd_element, data)


def _element(schema: Any, xsd_element: Any, data: Any) -> ET.Element:
    element = ET.Element(xsd_element.name)
    xsd_type = xsd_element.type
    if xsd_type.is_simple():
        element.text = _text(data)
        return element
    if xsd_type.has_simple_content():
        for key, value in data.items():
            if key == "value":
                element.text = _text(value)
            else:
                element.set(key, _text(value))
        return element
    for key, value in data.items():
        if key[:1].islower():
            element.set(key, _text(value))
    placed: set[str] = set()
    for child in xsd_type.content.iter_elements():
        for key in _keys_for(schema, child, data):
            target = child if key == child.local_name else schema.elements[key]
            for value in data[key] if isinstance(data[key], list) else [data[key]]:
                element.append(_element(schema, target, value))
            placed.add(key)
    for key in data:
        if key[:1].isupper() and key not in placed:
            element.append(ET.Element(f"{{{NS}}}{key}"))
    return element


def _keys_for(schema: Any, child: Any, data: dict[str, Any]) -> list[str]:
    """The payload keys that fill this schema slot: its own name, or a member of its
    substitution group (``IntuitObject`` in a batch item is ``Customer``, ``Invoice``…)."""
    if child.local_name in data:
        return [child.local_name]
    return [
        key
        for key in data
        if key in schema.elements and schema.elements[key].substitution_group == child.name
    ]


def validation_errors(root: str, data: dict[str, Any]) -> list[str]:
    element = to_xml(root, data)
    return [str(error.reason) for error in intuit_schema().iter_errors(element)]
