"""Change data capture: ``GET /cdc?entities=…&changedSince=…`` as QBO answers it.

Every record keeps its last-updated time and deletes are soft, so the answer is computed from
the records themselves: whatever changed at or after ``changedSince``, oldest change first,
at most ``MAX_OBJECTS`` in all, grouped per requested entity with deleted ones last.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from qbo_emulator import clock, faults
from qbo_emulator.entities.base import EntityKind
from qbo_emulator.entities.registry import kind_named
from qbo_emulator.realm import Realm, Record
from qbo_emulator.wire import JsonObject, JsonValue

# Intuit's CDC reference: at most 1,000 objects per answer, and a 30-day look-back.
MAX_OBJECTS = 1000
LOOK_BACK = timedelta(days=30)
# CDC does not serve these (Intuit's CDC reference); the rest of the registry it does.
NOT_IN_CDC = frozenset({"TaxCode", "TaxRate"})


def _kinds(names: str | None) -> list[EntityKind]:
    if not names or not names.strip():
        raise faults.required_param("entities")
    kinds: list[EntityKind] = []
    for name in (part.strip() for part in names.split(",") if part.strip()):
        kind = kind_named(name)  # the recorded call asks for "estimate": names ignore case
        if kind is None or kind.name in NOT_IN_CDC:
            raise faults.unsupported_operation(f"cdc for {name}")
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def _since(value: str | None) -> datetime:
    if not value or not value.strip():
        raise faults.required_param("changedSince")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise faults.invalid_enumeration("changedSince", value) from None
    if moment.tzinfo is None:
        # A bare date or local time is read in the company's (Pacific) calendar.
        moment = moment.replace(tzinfo=clock.PACIFIC)
    if moment < clock.now() - LOOK_BACK:
        # Observed wording (QuickBooksSharp issue #19).
        raise faults.unsupported_operation(
            f"cdc with changedSince date {value} which is older than fixed days"
        )
    return moment


def _deleted(record: Record) -> JsonObject:
    return {
        "domain": "QBO",
        "status": "Deleted",
        "Id": record.id,
        "MetaData": {"LastUpdatedTime": clock.meta_timestamp(record.updated_at)},
    }


def change_data_capture(
    realm: Realm, entities: str | None, changed_since: str | None
) -> JsonObject:
    kinds = _kinds(entities)
    since = _since(changed_since)
    changed = sorted(
        (
            (record, kind)
            for kind in kinds
            for record in realm.all(kind.name)
            if record.updated_at >= since
        ),
        key=lambda pair: (pair[0].updated_at, int(pair[0].id) if pair[0].id.isdigit() else 0),
    )[:MAX_OBJECTS]
    responses: list[JsonValue] = []
    for kind in kinds:
        mine = [record for record, owner in changed if owner is kind]
        if not mine:
            responses.append({})
            continue
        rows: list[JsonValue] = [kind.render(realm, r) for r in mine if not r.deleted]
        rows += [_deleted(r) for r in mine if r.deleted]
        responses.append({kind.name: rows, "startPosition": 1, "maxResults": len(rows)})
    return {"CDCResponse": [{"QueryResponse": responses}]}
