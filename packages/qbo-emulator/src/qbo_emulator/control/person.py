"""Changes made by "a person" in QuickBooks' own UI: edit, delete, void, merge customers.

They go through the same entity operations as API writes (so QBO's checks apply and CDC and
webhooks see them), but a person needs no SyncToken: they always edit the latest version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from qbo_emulator import faults, operations
from qbo_emulator.entities.base import EntityKind, WriteOptions
from qbo_emulator.entities.registry import kind_named
from qbo_emulator.realm import Realm, Record
from qbo_emulator.state import EmulatorState, get_state
from qbo_emulator.wire import JsonObject, dumps

router = APIRouter(prefix="/_emulator/realms/{realm_id}/person", tags=["emulator control"])
StateDep = Annotated[EmulatorState, Depends(get_state)]


class Edit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Fields to change, as a sparse update would send them.
    fields: dict[str, Any]


class Merge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merged_away_id: str
    surviving_id: str


def _realm(state: EmulatorState, realm_id: str) -> Realm:
    realm = state.realms.get(realm_id)
    if realm is None:
        raise HTTPException(404, f"no realm {realm_id}")
    return realm


def _target(realm: Realm, entity: str, record_id: str) -> tuple[EntityKind, Record]:
    kind = kind_named(entity)
    record = realm.get(kind.name, record_id) if kind is not None else None
    if kind is None or record is None or record.deleted:
        raise HTTPException(404, f"no {entity} {record_id} in realm {realm.realm_id}")
    return kind, record


def _current(record: Record) -> JsonObject:
    return {"Id": record.id, "SyncToken": str(record.sync_token)}


def _answer(result: JsonObject | faults.QboFault) -> Response:
    if isinstance(result, faults.QboFault):
        return Response(
            dumps(result.body()), status_code=result.status, media_type="application/json"
        )
    return Response(dumps(result), media_type="application/json")


async def _as_person(
    state: EmulatorState,
    realm_id: str,
    entity: str,
    record_id: str,
    action: Callable[[Realm, EntityKind, Record], JsonObject],
) -> Response:
    realm = _realm(state, realm_id)
    async with realm.lock:
        kind, record = _target(realm, entity, record_id)
        try:
            return _answer(action(realm, kind, record))
        except faults.QboFault as fault:
            return _answer(fault)


@router.post("/{entity}/{record_id}/edit")
async def edit(state: StateDep, realm_id: str, entity: str, record_id: str, body: Edit) -> Response:
    def sparse_update(realm: Realm, kind: EntityKind, record: Record) -> JsonObject:
        payload = {**body.fields, **_current(record), "sparse": True}
        return operations.update(realm, kind, payload, WriteOptions())

    return await _as_person(state, realm_id, entity, record_id, sparse_update)


@router.post("/{entity}/{record_id}/delete")
async def delete(state: StateDep, realm_id: str, entity: str, record_id: str) -> Response:
    """Transactions are deleted; name-list records (customers, items) are made inactive."""

    def delete_it(realm: Realm, kind: EntityKind, record: Record) -> JsonObject:
        if not kind.name_list:
            return operations.delete(realm, kind, _current(record))
        record.body["Active"] = False
        record.touch()
        realm.changed(record, "Delete")
        return kind.render(realm, record)

    return await _as_person(state, realm_id, entity, record_id, delete_it)


@router.post("/{entity}/{record_id}/void")
async def void(state: StateDep, realm_id: str, entity: str, record_id: str) -> Response:
    def void_it(realm: Realm, kind: EntityKind, record: Record) -> JsonObject:
        return operations.void(realm, kind, _current(record))

    return await _as_person(state, realm_id, entity, record_id, void_it)


def _move_transactions(realm: Realm, away: Record, survivor: Record) -> None:
    ref = {"value": survivor.id, "name": survivor.body.get("DisplayName", "")}
    for records in realm.records.values():
        for record in records.values():
            current = record.body.get("CustomerRef")
            if isinstance(current, dict) and str(current.get("value")) == away.id:
                record.body["CustomerRef"] = dict(ref)
                record.touch()
                realm.changed(record, "Update")


@router.post("/customers/merge")
async def merge(state: StateDep, realm_id: str, body: Merge) -> Response:
    """QBO's merge: the merged-away customer's transactions move to the survivor, and the
    merged-away customer is gone (deleted, also inactive), reported as one Merge change."""
    realm = _realm(state, realm_id)
    async with realm.lock:
        kind, away = _target(realm, "Customer", body.merged_away_id)
        _, survivor = _target(realm, "Customer", body.surviving_id)
        if away is survivor or not survivor.is_usable:
            raise HTTPException(409, "merge needs two different customers, the survivor active")
        _move_transactions(realm, away, survivor)
        away.body["Active"] = False
        away.deleted = True
        away.touch()
        survivor.touch()
        realm.changed(survivor, "Merge", deleted_id=away.id)
        return _answer(kind.render(realm, survivor))
