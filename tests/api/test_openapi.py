"""The OpenAPI document describes what every route answers: each 2xx has a schema."""

from __future__ import annotations

from typing import Any

from qbsync.app import create_app
from tests.settings import make_settings


def _described(response: dict[str, Any]) -> bool:
    for media in response.get("content", {}).values():
        schema = media.get("schema") or {}
        if "$ref" in schema or schema.get("properties") or schema.get("items"):
            return True
        if media is not response.get("content", {}).get("application/json"):
            return True  # a PDF or an HTML page: the media type is the description
    return False


def _routes() -> list[tuple[str, str, dict[str, Any]]]:
    document = create_app(make_settings()).openapi()
    return [
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_success_answer_has_a_schema() -> None:
    undescribed = set()
    for method, path, operation in _routes():
        successes = {code: r for code, r in operation["responses"].items() if code[0] == "2"}
        if not successes or not all(_described(r) for r in successes.values()):
            undescribed.add((method, path))
    assert undescribed == set()


def test_manual_sync_routes_name_their_kind_ids() -> None:
    operations = {(m, p): o for m, p, o in _routes()}
    answer = operations["POST", "/api/quickbooks/sync/invoice"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("SyncInvoiceAnswer")
    parameters = {
        p["name"] for p in operations["POST", "/api/quickbooks/sync/invoice"]["parameters"]
    }
    assert {"invoiceId", "aforoInvoiceId", "async"} <= parameters
