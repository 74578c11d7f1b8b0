"""What every entity kind shares: the ``EntityKind`` contract and QBO's field-level checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import ClassVar, Literal

from qbo_emulator import clock, faults
from qbo_emulator.realm import Realm, Record
from qbo_emulator.wire import JsonObject, JsonValue

CENT = Decimal("0.01")
USD = {"value": "USD", "name": "United States Dollar"}
# Keys a client may send back from a read; QBO ignores them on write.
ENVELOPE_KEYS = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status"})
# QBO forbids these in names because ':' separates levels in FullyQualifiedName.
HIERARCHY_CHARS = (":", "\t", "\n", "\r")


@dataclass(frozen=True)
class WriteOptions:
    allow_duplicate_doc_number: bool = False


class EntityKind:
    """The behaviour of one QBO entity. Subclasses validate and normalise bodies (raising
    ``QboFault`` exactly where QBO would) and add computed fields when rendering."""

    name: ClassVar[str]
    properties: ClassVar[frozenset[str]]
    # Read-only fields the server computes; dropped from write payloads.
    computed: ClassVar[frozenset[str]] = frozenset()
    # Name lists (Customer, Item, Account, ...) are deactivated, never deleted, and queries
    # return only active ones unless the WHERE clause mentions Active.
    name_list: ClassVar[bool] = False
    default_order: ClassVar[str] = "Id"
    creatable: ClassVar[bool] = True
    updatable: ClassVar[bool] = True
    deletable: ClassVar[bool] = False
    # "operation": ?operation=void (Invoice); "include": ?operation=update&include=void (Payment).
    void_style: ClassVar[Literal["none", "operation", "include"]] = "none"

    @property
    def path(self) -> str:
        return self.name.lower()

    def normalize(
        self,
        realm: Realm,  # noqa: ARG002
        body: JsonObject,  # noqa: ARG002
        *,
        existing: Record | None,  # noqa: ARG002
        options: WriteOptions,  # noqa: ARG002
    ) -> JsonObject:
        """Validate a complete body (sparse updates are merged first) and return what to store."""
        raise faults.unsupported_operation(f"create for {self.name}")

    def extra_fields(self, realm: Realm, record: Record) -> JsonObject:  # noqa: ARG002
        """Computed fields added to the stored body when rendering."""
        return {}

    def render(self, realm: Realm, record: Record) -> JsonObject:
        doc = dict(record.body)
        doc.update(
            {
                "domain": "QBO",
                "sparse": False,
                "Id": record.id,
                "SyncToken": str(record.sync_token),
                "MetaData": {
                    "CreateTime": clock.meta_timestamp(record.created_at),
                    "LastUpdatedTime": clock.meta_timestamp(record.updated_at),
                },
            }
        )
        doc.update(self.extra_fields(realm, record))
        return doc

    def after_save(self, realm: Realm, record: Record) -> None:
        """Keep derived indexes (payment applications) in step after a create or update."""

    def void(self, realm: Realm, record: Record) -> None:  # noqa: ARG002
        raise faults.unsupported_operation(f"void for {self.name}")

    def before_delete(self, realm: Realm, record: Record) -> None:
        """Refuse or unwind a delete (payments restore invoice balances)."""


# -- field checks ----------------------------------------------------------------------


def check_known(payload: JsonObject, properties: frozenset[str], type_name: str) -> None:
    for key in payload:
        if key not in properties:
            raise faults.unsupported_property(key, type_name)


def text(body: JsonObject, key: str, *, maximum: int, element: str | None = None) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise faults.invalid_string(element or key)
    if len(value) > maximum:
        raise faults.string_length(element or key, maximum=maximum, supplied=len(value))
    return value


def check_name_chars(
    value: str, element: str, forbidden: tuple[str, ...] = HIERARCHY_CHARS
) -> None:
    if any(char in value for char in forbidden):
        raise faults.invalid_string(element)


def name_key(value: str) -> str:
    """How QBO compares names for uniqueness: trimmed and case-insensitive."""
    return value.strip().casefold()


def decimal(value: JsonValue, element: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise faults.invalid_number(element, value)
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise faults.invalid_number(element, value) from None
    if not number.is_finite():
        raise faults.invalid_number(element, value)
    return number


def parse_date(body: JsonObject, key: str) -> date | None:
    """The date in ``body[key]``; absent, null and "" all mean "not given" (QBO accepts the
    empty strings python-quickbooks sends by default for TxnDate, DueDate and ShipDate)."""
    value = body.get(key)
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise faults.QboFault(
            faults.FaultError("2070", "Invalid Date", f"Invalid Date : {value} is not a date", key)
        ) from None


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def ref_value(body: JsonObject, key: str, *, required: bool = False) -> str | None:
    """The ``value`` of a reference (``{"value": "1", "name": "..."}``)."""
    ref = body.get(key)
    if ref is None:
        if required:
            raise faults.required_param(key)
        return None
    if not isinstance(ref, dict) or not isinstance(ref.get("value"), str | int):
        raise faults.required_param(f"{key}.value")
    check_known(ref, frozenset({"value", "name", "type"}), "ReferenceType")
    return str(ref["value"])


def required_ref(body: JsonObject, key: str) -> str:
    value = ref_value(body, key, required=True)
    if value is None:  # ref_value raised already; this narrows the type
        raise faults.required_param(key)
    return value


def resolve(realm: Realm, entity: str, record_id: str, element: str) -> Record:
    """The referenced record; 610 when it does not exist, was deleted, or is inactive."""
    record = realm.get(entity, record_id)
    if record is None or not record.is_usable:
        raise faults.object_not_found(element)
    return record


def named_ref(record: Record, name_field: str) -> JsonObject:
    return {"value": record.id, "name": record.body.get(name_field, "")}


def boolean(body: JsonObject, key: str, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise faults.invalid_enumeration(key, value)
    return value
