"""Customer: DisplayName rules (unique across customers, vendors and employees), deactivation."""

from __future__ import annotations

from typing import ClassVar

from qbo_emulator import faults
from qbo_emulator.entities import currency, ledger
from qbo_emulator.entities.base import (
    EntityKind,
    WriteOptions,
    check_name_chars,
    name_key,
    ref_value,
    resolve,
    text,
)
from qbo_emulator.properties import CUSTOMER_PROPERTIES
from qbo_emulator.realm import Realm, Record
from qbo_emulator.wire import JsonObject

NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
# Length limits from the Customer reference (shared/reference/quickbooks-api.md §9.1).
LIMITS = {
    "Title": 16,
    "GivenName": 100,
    "MiddleName": 100,
    "FamilyName": 100,
    "Suffix": 16,
    "CompanyName": 100,
    "PrintOnCheckName": 110,
    "Notes": 2000,
    "ResaleNum": 16,
}
DISPLAY_NAME_MAX = 500
# Records whose DisplayName a new customer may not reuse.
NAME_HOLDERS = ("Customer", "Vendor", "Employee")


def display_name_taken(realm: Realm, display_name: str, *, except_id: str | None) -> bool:
    wanted = name_key(display_name)
    for entity in NAME_HOLDERS:
        for record in realm.all(entity):
            if entity == "Customer" and record.id == except_id:
                continue
            # Inactive customers still hold their name (QBO keeps it reserved).
            if name_key(str(record.body.get("DisplayName", ""))) == wanted:
                return True
    return False


class CustomerKind(EntityKind):
    name: ClassVar[str] = "Customer"
    properties: ClassVar[frozenset[str]] = CUSTOMER_PROPERTIES
    computed: ClassVar[frozenset[str]] = frozenset(
        {
            "FullyQualifiedName",
            "Level",
            "BalanceWithJobs",
            "OverDueBalance",
            "TotalRevenue",
            "TotalExpense",
            "Balance",
        }
    )
    name_list: ClassVar[bool] = True
    default_order: ClassVar[str] = "DisplayName"

    def normalize(
        self,
        realm: Realm,
        body: JsonObject,
        *,
        existing: Record | None,
        options: WriteOptions,  # noqa: ARG002
    ) -> JsonObject:
        for key, limit in LIMITS.items():
            value = text(body, key, maximum=limit)
            if value is not None and key in (*NAME_PARTS, "PrintOnCheckName"):
                check_name_chars(value, key)
        display = text(body, "DisplayName", maximum=DISPLAY_NAME_MAX)
        if display is None or not display.strip():
            parts = [str(body[key]).strip() for key in NAME_PARTS if body.get(key)]
            if not parts:
                raise faults.no_name_provided()
            display = " ".join(parts)
        display = display.strip()
        check_name_chars(display, "DisplayName")
        if display_name_taken(realm, display, except_id=existing.id if existing else None):
            raise faults.duplicate_name()
        stored = dict(body)
        stored["DisplayName"] = display
        stored.setdefault("PrintOnCheckName", display)
        for key in ("BillAddr", "ShipAddr"):
            address = stored.get(key)
            if isinstance(address, dict) and "Id" not in address:
                # QBO gives every stored address its own Id (PhysicalAddress).
                stored[key] = {"Id": realm.next_id("PhysicalAddress"), **address}
        parent_id = ref_value(body, "ParentRef")
        if parent_id is not None:
            parent = resolve(realm, "Customer", parent_id, "ParentRef")
            stored["ParentRef"] = {"value": parent.id}
            stored["Job"] = True
        active = stored.setdefault("Active", True)
        if (
            active is False
            and existing is not None
            and existing.body.get("Active") is not False
            and ledger.customer_balance(realm, existing.id) != 0
        ):
            raise faults.open_balance()
        stored.setdefault("Taxable", True)
        stored.setdefault("Job", False)
        stored.setdefault("BillWithParent", False)
        stored["CurrencyRef"] = currency.customer_currency(realm, body, existing)
        stored.setdefault("PreferredDeliveryMethod", "Print")
        return stored

    def extra_fields(self, realm: Realm, record: Record) -> JsonObject:
        balance = ledger.customer_balance(realm, record.id)
        qualified = str(record.body["DisplayName"])
        level = 0
        parent_id = (record.body.get("ParentRef") or {}).get("value")
        while parent_id is not None and level < 5:
            parent = realm.get("Customer", parent_id)
            if parent is None:
                break
            qualified = f"{parent.body['DisplayName']}:{qualified}"
            parent_id = (parent.body.get("ParentRef") or {}).get("value")
            level += 1
        fields: JsonObject = {
            "Balance": balance,
            "BalanceWithJobs": balance,
            "FullyQualifiedName": qualified,
        }
        if level:
            fields["Level"] = level
        return fields
