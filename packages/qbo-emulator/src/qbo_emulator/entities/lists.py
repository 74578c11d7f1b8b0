"""Small name lists: PaymentMethod, Term (sales terms), Class and Department (locations).
Deactivated, never deleted."""

from __future__ import annotations

from typing import ClassVar

from qbo_emulator import faults
from qbo_emulator.entities.base import (
    EntityKind,
    WriteOptions,
    boolean,
    check_name_chars,
    decimal,
    name_key,
    resolve,
    text,
)
from qbo_emulator.form_properties import (
    CLASS_PROPERTIES,
    DEPARTMENT_PROPERTIES,
    PAYMENT_METHOD_PROPERTIES,
    TERM_PROPERTIES,
)
from qbo_emulator.realm import Realm, Record
from qbo_emulator.wire import JsonObject

LIST_NAME_MAX = 31
# Class and Department names (Finance.xsd: max 100).
TRACKING_NAME_MAX = 100
PAYMENT_METHOD_TYPES = ("CREDIT_CARD", "NON_CREDIT_CARD")
# Term day counts (quickbooks-api.md §9.11, Finance.xsd SalesTerm).
DUE_DAYS_MAX = 999
DAY_OF_MONTH = range(1, 32)


def unique_list_name(
    realm: Realm,
    entity: str,
    body: JsonObject,
    existing: Record | None,
    label: str,
    *,
    maximum: int = LIST_NAME_MAX,
) -> str:
    """A required Name, at most 31 characters, unique (case-insensitive) in its list."""
    name = text(body, "Name", maximum=maximum)
    if name is None or not name.strip():
        raise faults.required_param("Name")
    name = name.strip()
    check_name_chars(name, "Name")
    for other in realm.all(entity):
        if other is not existing and name_key(str(other.body.get("Name", ""))) == name_key(name):
            raise faults.duplicate_name(label)
    return name


class PaymentMethodKind(EntityKind):
    name: ClassVar[str] = "PaymentMethod"
    properties: ClassVar[frozenset[str]] = PAYMENT_METHOD_PROPERTIES
    name_list: ClassVar[bool] = True
    default_order: ClassVar[str] = "Name"

    def normalize(
        self,
        realm: Realm,
        body: JsonObject,
        *,
        existing: Record | None,
        options: WriteOptions,  # noqa: ARG002
    ) -> JsonObject:
        stored = dict(body)
        stored["Name"] = unique_list_name(realm, self.name, body, existing, "payment method")
        method_type = body.get("Type", "NON_CREDIT_CARD")
        if method_type not in PAYMENT_METHOD_TYPES:
            raise faults.invalid_enumeration("Type", method_type)
        stored["Type"] = method_type
        stored["Active"] = boolean(body, "Active", True)
        return stored


class TermKind(EntityKind):
    """Either ``DueDays`` (net N days) or ``DayOfMonthDue`` (date-driven), never both."""

    name: ClassVar[str] = "Term"
    properties: ClassVar[frozenset[str]] = TERM_PROPERTIES
    name_list: ClassVar[bool] = True
    default_order: ClassVar[str] = "Name"

    def normalize(
        self,
        realm: Realm,
        body: JsonObject,
        *,
        existing: Record | None,
        options: WriteOptions,  # noqa: ARG002
    ) -> JsonObject:
        stored = dict(body)
        stored["Name"] = unique_list_name(realm, self.name, body, existing, "term")
        due_days, day_of_month = body.get("DueDays"), body.get("DayOfMonthDue")
        if (due_days is None) == (day_of_month is None):
            raise faults.required_param("DueDays or DayOfMonthDue")
        if due_days is not None:
            stored["DueDays"] = _days(due_days, "DueDays", range(DUE_DAYS_MAX + 1))
            stored["Type"] = "STANDARD"
        else:
            stored["DayOfMonthDue"] = _days(day_of_month, "DayOfMonthDue", DAY_OF_MONTH)
            stored["Type"] = "DATE_DRIVEN"
        for key in ("DueNextMonthDays", "DiscountDays"):
            if body.get(key) is not None:
                stored[key] = _days(body[key], key, range(DUE_DAYS_MAX + 1))
        if body.get("DiscountDayOfMonth") is not None:
            stored["DiscountDayOfMonth"] = _days(
                body["DiscountDayOfMonth"], "DiscountDayOfMonth", DAY_OF_MONTH
            )
        if body.get("DiscountPercent") is not None:
            percent = decimal(body["DiscountPercent"], "DiscountPercent")
            if not 0 <= percent <= 100:
                raise faults.invalid_number("DiscountPercent", body["DiscountPercent"])
            stored["DiscountPercent"] = percent
        stored["Active"] = boolean(body, "Active", True)
        return stored


def _days(value: object, element: str, allowed: range) -> int:
    number = decimal(value, element)
    if number != number.to_integral_value() or int(number) not in allowed:
        raise faults.invalid_number(element, value)
    return int(number)


class _TrackingKind(EntityKind):
    """Classes and locations: a name unique in its list, optionally under a parent."""

    name_list: ClassVar[bool] = True
    default_order: ClassVar[str] = "Name"
    label: ClassVar[str] = ""
    sub_key: ClassVar[str] = ""

    def normalize(
        self,
        realm: Realm,
        body: JsonObject,
        *,
        existing: Record | None,
        options: WriteOptions,  # noqa: ARG002
    ) -> JsonObject:
        stored = dict(body)
        name = unique_list_name(
            realm, self.name, body, existing, self.label, maximum=TRACKING_NAME_MAX
        )
        stored["Name"] = name
        parent_ref = body.get("ParentRef")
        parent = None
        if isinstance(parent_ref, dict) and parent_ref.get("value") is not None:
            parent = resolve(realm, self.name, str(parent_ref["value"]), "ParentRef")
        stored[self.sub_key] = parent is not None
        stored["FullyQualifiedName"] = (
            f"{parent.body['FullyQualifiedName']}:{name}" if parent is not None else name
        )
        stored["Active"] = boolean(body, "Active", True)
        return stored


class ClassKind(_TrackingKind):
    name: ClassVar[str] = "Class"
    properties: ClassVar[frozenset[str]] = CLASS_PROPERTIES
    label: ClassVar[str] = "class"
    sub_key: ClassVar[str] = "SubClass"


class DepartmentKind(_TrackingKind):
    name: ClassVar[str] = "Department"
    properties: ClassVar[frozenset[str]] = DEPARTMENT_PROPERTIES
    label: ClassVar[str] = "department"
    sub_key: ClassVar[str] = "SubDepartment"
