"""XML answers (``Accept: application/xml``): the JSON answer re-written as QBO's XML.

QBO's JSON is its XML by a fixed rule (tests/data/qbo-recorded/README.md): child elements
are PascalCase keys, attributes lower-case keys, and on simple-content types (references)
``value`` is the element's text. The way back needs the schema for the order of children
and for which element a key is, so Intuit's XSDs (shipped in ``xsd/``) drive it; they are
loaded on the first XML request (a second or two), never for JSON clients.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

import xmlschema

from qbo_emulator import clock

NS = "http://schema.intuit.com/finance/v3"
XML_CONTENT_TYPE = "application/xml; charset=utf-8"
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


class NotRenderable(Exception):
    """The answer has a key the schema does not know where it stands."""


@lru_cache(maxsize=1)
def schema() -> xmlschema.XMLSchema:
    root = resources.files("qbo_emulator").joinpath("xsd/IntuitRestServiceDef.xsd")
    with resources.as_file(root) as path:
        return xmlschema.XMLSchema(str(path))


def wants_xml(accept: str) -> bool:
    """True when the client asks for XML and not JSON (no Accept, or */*, stays JSON)."""
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    xml = any(kind in ("application/xml", "text/xml") for kind in kinds)
    return xml and "application/json" not in kinds


def from_json(answer: bytes) -> bytes:
    """The ``IntuitResponse`` document for a JSON answer body; ``NotRenderable`` if it cannot
    be written in the schema's terms."""
    data = json.loads(answer, parse_float=Decimal)
    if "fault" in data:  # the gateway's lower-case envelope (401s)
        data = _gateway_fault(data["fault"])
    response = schema().elements["IntuitResponse"]
    time = data.pop("time", None)
    element = _element(response, data)
    element.set("time", time if isinstance(time, str) else clock.response_time())
    ET.register_namespace("", NS)
    document: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=False)
    return _DECLARATION + document


def _gateway_fault(fault: dict[str, Any]) -> dict[str, Any]:
    errors = [
        {"Message": e.get("message"), "Detail": e.get("detail"), "code": e.get("code")}
        for e in fault.get("error", [])
    ]
    return {"Fault": {"Error": errors, "type": fault.get("type")}}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _element(xsd_element: Any, data: Any, name: str | None = None) -> ET.Element:
    element = ET.Element(f"{{{NS}}}{name or xsd_element.local_name}")
    xsd_type = xsd_element.type
    if xsd_type.is_simple():
        element.text = _text(data)
        return element
    if not isinstance(data, dict):
        raise NotRenderable(f"{element.tag}: expected an object")
    for key, value in data.items():
        is_text = key == "value" and xsd_type.has_simple_content()
        if key[:1].islower() and not is_text and value is not None:
            element.set(key, _text(value))
    if xsd_type.has_simple_content():
        if "value" in data:
            element.text = _text(data["value"])
        return element
    placed: set[str] = set()
    for child in xsd_type.content.iter_elements():
        for key in _keys_for(child, data):
            target = child if key == child.local_name else schema().elements[key]
            values = data[key] if isinstance(data[key], list) else [data[key]]
            for value in values:
                if value is not None:
                    element.append(_element(target, value, key))
            placed.add(key)
    unplaced = [key for key in data if key[:1].isupper() and key not in placed]
    if unplaced:
        raise NotRenderable(f"{xsd_element.local_name} has no element {unplaced[0]}")
    return element


def _keys_for(child: Any, data: dict[str, Any]) -> list[str]:
    """The keys that fill this schema slot: its own name, or members of its substitution
    group (``IntuitObject`` stands for ``Customer``, ``Invoice``, …)."""
    if child.local_name in data:
        return [child.local_name]
    members = schema().elements
    return [
        key
        for key in data
        if key[:1].isupper() and key in members and _substitutes(members[key], child.name)
    ]


def _substitutes(element: Any, head: str) -> bool:
    group = element.substitution_group
    while group is not None:
        if group == head:
            return True
        parent = schema().maps.elements.get(group)
        group = parent.substitution_group if parent is not None else None
    return False
