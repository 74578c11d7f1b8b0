"""``POST /batch``: up to 30 independent items, each answered with its entity or its own Fault."""

from __future__ import annotations

from qbo_emulator import faults, operations
from qbo_emulator.entities.base import WriteOptions, check_known
from qbo_emulator.entities.registry import kind_named
from qbo_emulator.query.engine import run_query
from qbo_emulator.realm import Realm
from qbo_emulator.wire import JsonObject

MAX_ITEMS = 30
ITEM_KEYS = ("bId", "operation", "optionsData")


def _run_item(realm: Realm, item: JsonObject, *, include: set[str]) -> JsonObject:
    if "Query" in item:
        return {"QueryResponse": run_query(realm, str(item["Query"]))}
    entity_keys = [key for key in item if key not in ITEM_KEYS]
    if len(entity_keys) != 1:
        raise faults.required_param("IntuitObject")
    kind = kind_named(entity_keys[0])
    payload = item[entity_keys[0]]
    if kind is None or kind.name != entity_keys[0]:
        raise faults.unsupported_property(entity_keys[0], "BatchItemRequest")
    if not isinstance(payload, dict):
        raise faults.malformed_body(f"{kind.name} must be an object")
    options_text = str(item.get("optionsData") or "").lower()
    options = {part.strip() for part in options_text.split(",") if part.strip()}
    write_options = WriteOptions(
        allow_duplicate_doc_number="allowduplicatedocnum" in (options | include)
    )
    operation = item.get("operation")
    if operation == "update" and "void" in options:
        # The batch spelling of a void, for invoices and payments alike (Intuit blog 2023-07-19).
        result = operations.void(realm, kind, payload)
    elif operation in ("create", "update", "delete"):
        result = operations.perform(realm, kind, payload, operation, write_options)
    else:
        raise faults.invalid_enumeration("operation", operation)
    return {kind.name: result}


def run_batch(
    realm: Realm, payload: JsonObject, *, include: set[str], requestid: str | None = None
) -> JsonObject:
    check_known(payload, frozenset({"BatchItemRequest"}), "IntuitBatchRequest")
    items = payload.get("BatchItemRequest")
    if not isinstance(items, list) or not items:
        raise faults.required_param("BatchItemRequest")
    if len(items) > MAX_ITEMS:
        raise faults.batch_too_large(len(items))
    responses: list[JsonObject] = []
    for item in items:
        if not isinstance(item, dict):
            raise faults.malformed_body("each BatchItemRequest must be an object")
        bid = item.get("bId")
        try:
            if not isinstance(bid, str) or not bid:
                raise faults.required_param("bId")
            if requestid and len(requestid + bid) > faults.REQUEST_ID_MAX:
                raise faults.request_id_too_long(requestid + bid)
            responses.append({**_run_item(realm, item, include=include), "bId": bid})
        except faults.QboFault as fault:
            responses.append({"Fault": fault.fault_object(), "bId": bid})
    return {"BatchItemResponse": responses}
