"""Entity operations shared by the REST routes and batch: create, read, update, delete, void.

Every function runs under the realm lock (held by the caller) and raises ``QboFault``.
"""

from __future__ import annotations

from typing import Literal

from qbo_emulator import faults
from qbo_emulator.entities.base import ENVELOPE_KEYS, EntityKind, WriteOptions, check_known
from qbo_emulator.realm import Realm, Record
from qbo_emulator.wire import JsonObject

Operation = Literal["create", "update", "delete", "void"]


def _writable(kind: EntityKind, payload: JsonObject) -> JsonObject:
    return {
        key: value
        for key, value in payload.items()
        if key not in ENVELOPE_KEYS and key not in kind.computed
    }


def _check_id(value: object) -> str:
    if value is None:
        raise faults.required_param("Id")
    record_id = str(value)
    if not record_id.isdigit():
        raise faults.invalid_id(record_id)
    return record_id


def _target(realm: Realm, kind: EntityKind, payload: JsonObject) -> Record:
    """The record an update/delete/void names, checked against its SyncToken."""
    record = realm.get(kind.name, _check_id(payload.get("Id")))
    if record is None or record.deleted:
        raise faults.object_not_found("Id")
    token = payload.get("SyncToken")
    if token is None:
        raise faults.required_param("SyncToken")
    if str(token) != str(record.sync_token):
        raise faults.stale_object()
    return record


def read(realm: Realm, kind: EntityKind, record_id: str) -> JsonObject:
    record = realm.get(kind.name, _check_id(record_id))
    if record is None or record.deleted:
        raise faults.object_not_found()
    return kind.render(realm, record)


def create(
    realm: Realm, kind: EntityKind, payload: JsonObject, options: WriteOptions
) -> JsonObject:
    if not kind.creatable:
        raise faults.unsupported_operation(f"create for {kind.name}")
    check_known(payload, kind.properties, kind.name)
    body = kind.normalize(realm, _writable(kind, payload), existing=None, options=options)
    record = realm.add(kind.name, body)
    kind.after_save(realm, record)
    realm.changed(record, "Create")
    return kind.render(realm, record)


def update(
    realm: Realm, kind: EntityKind, payload: JsonObject, options: WriteOptions
) -> JsonObject:
    if not kind.updatable:
        raise faults.unsupported_operation(f"update for {kind.name}")
    check_known(payload, kind.properties, kind.name)
    record = _target(realm, kind, payload)
    writable = _writable(kind, payload)
    # Sparse: only the fields sent change. Full: fields left out are cleared (QBO §3.2).
    merged = {**record.body, **writable} if payload.get("sparse") is True else writable
    record.body = kind.normalize(realm, merged, existing=record, options=options)
    record.touch()
    kind.after_save(realm, record)
    realm.changed(record, "Update")
    return kind.render(realm, record)


def delete(realm: Realm, kind: EntityKind, payload: JsonObject) -> JsonObject:
    if not kind.deletable:
        # Name-list entities are deactivated (Active=false), never deleted.
        raise faults.unsupported_operation(f"delete for {kind.name}")
    record = _target(realm, kind, payload)
    kind.before_delete(realm, record)
    record.deleted = True
    record.touch()
    realm.changed(record, "Delete")
    return {"domain": "QBO", "status": "Deleted", "Id": record.id}


def void(realm: Realm, kind: EntityKind, payload: JsonObject) -> JsonObject:
    if kind.void_style == "none":
        raise faults.unsupported_operation(f"void for {kind.name}")
    record = _target(realm, kind, payload)
    if not record.voided:
        kind.void(realm, record)
        record.touch()
        realm.changed(record, "Void")
    return kind.render(realm, record)


def post_operation(
    kind: EntityKind, payload: JsonObject, *, operation: str | None, include: set[str]
) -> Operation:
    """Which operation ``POST /{entity}?operation=…&include=…`` asks for, as QBO reads it.

    Invoices void with ``operation=void``; payments with ``operation=update&include=void``.
    ``operation=void`` on a payment is refused (it does not void it).
    """
    if operation == "delete":
        return "delete"
    if operation == "void":
        if kind.void_style != "operation":
            raise faults.unsupported_operation(
                f"void for {kind.name} (use operation=update&include=void)"
            )
        return "void"
    if "void" in include:
        if operation != "update" or kind.void_style != "include":
            raise faults.unsupported_operation(f"include=void for {kind.name}")
        return "void"
    if operation == "update" or (operation is None and "Id" in payload):
        return "update"
    if operation in (None, "create"):
        return "create"
    raise faults.unsupported_operation(f"{operation} for {kind.name}")


def perform(
    realm: Realm, kind: EntityKind, payload: JsonObject, operation: Operation, options: WriteOptions
) -> JsonObject:
    if operation == "create":
        return create(realm, kind, payload, options)
    if operation == "update":
        return update(realm, kind, payload, options)
    if operation == "delete":
        return delete(realm, kind, payload)
    return void(realm, kind, payload)
