"""Company-level and seeded-only kinds: CompanyInfo, Preferences, Vendor and Employee names."""

from __future__ import annotations

import copy
from typing import ClassVar

from qbo_emulator import faults
from qbo_emulator.entities.base import EntityKind, WriteOptions, check_known
from qbo_emulator.properties import (
    COMPANY_INFO_PROPERTIES,
    PREFERENCES_GROUPS,
    PREFERENCES_PROPERTIES,
)
from qbo_emulator.realm import Realm, Record
from qbo_emulator.wire import JsonObject


class CompanyInfoKind(EntityKind):
    name: ClassVar[str] = "CompanyInfo"
    properties: ClassVar[frozenset[str]] = COMPANY_INFO_PROPERTIES
    creatable: ClassVar[bool] = False
    updatable: ClassVar[bool] = False


class PreferencesKind(EntityKind):
    """Preferences are updated group by group: each group sent is merged into the stored one
    (nested objects key by key, lists replaced); a key its XSD type lacks is 2010."""

    name: ClassVar[str] = "Preferences"
    properties: ClassVar[frozenset[str]] = PREFERENCES_PROPERTIES
    creatable: ClassVar[bool] = False

    def normalize(
        self,
        realm: Realm,  # noqa: ARG002
        body: JsonObject,
        *,
        existing: Record | None,
        options: WriteOptions,  # noqa: ARG002
    ) -> JsonObject:
        if existing is None:
            raise faults.unsupported_operation("create for Preferences")
        stored = copy.deepcopy(existing.body)
        for key, value in body.items():
            if key not in PREFERENCES_GROUPS:
                continue  # CustomField, AttachableRef: accepted, not kept
            type_name, known = PREFERENCES_GROUPS[key]
            if not isinstance(value, dict):
                raise faults.invalid_enumeration(key, value)
            check_known(value, known, type_name)
            stored[key] = _merged(stored.get(key, {}), value)
        return stored


def _merged(current: JsonObject, update: JsonObject) -> JsonObject:
    merged = dict(current)
    for key, value in update.items():
        old = merged.get(key)
        merged[key] = (
            _merged(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
        )
    return merged


class VendorKind(EntityKind):
    """Seeded only, so that a customer name can collide with a vendor's (6240)."""

    name: ClassVar[str] = "Vendor"
    properties: ClassVar[frozenset[str]] = frozenset()
    creatable: ClassVar[bool] = False
    updatable: ClassVar[bool] = False
    name_list: ClassVar[bool] = True
    default_order: ClassVar[str] = "DisplayName"


class EmployeeKind(VendorKind):
    name: ClassVar[str] = "Employee"
