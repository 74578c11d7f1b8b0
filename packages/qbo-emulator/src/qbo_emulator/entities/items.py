"""Item (products and services): unique Name, Type, and an Income account for sales."""

from __future__ import annotations

from typing import ClassVar

from qbo_emulator import faults
from qbo_emulator.entities.accounts import INCOME_TYPES
from qbo_emulator.entities.base import (
    EntityKind,
    WriteOptions,
    check_name_chars,
    decimal,
    name_key,
    named_ref,
    ref_value,
    resolve,
    text,
)
from qbo_emulator.properties import ITEM_PROPERTIES
from qbo_emulator.realm import Realm, Record
from qbo_emulator.wire import JsonObject

# "Group" (bundles) exists in QBO but cannot be created through the API.
CREATABLE_TYPES = ("Service", "NonInventory", "Inventory", "Category")
NEEDS_INCOME_ACCOUNT = ("Service", "NonInventory", "Inventory")


class ItemKind(EntityKind):
    name: ClassVar[str] = "Item"
    properties: ClassVar[frozenset[str]] = ITEM_PROPERTIES
    computed: ClassVar[frozenset[str]] = frozenset({"FullyQualifiedName", "Level"})
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
        name = text(body, "Name", maximum=100)
        if not name or not name.strip():
            raise faults.required_param("Name")
        name = name.strip()
        check_name_chars(name, "Name")
        for other in realm.all("Item"):
            if other is not existing and name_key(str(other.body.get("Name", ""))) == name_key(
                name
            ):
                raise faults.duplicate_name("product or service")
        text(body, "Description", maximum=4000)
        text(body, "Sku", maximum=100)
        item_type = body.get("Type")
        if item_type is None:
            raise faults.required_param("Type")
        if item_type not in CREATABLE_TYPES:
            raise faults.invalid_enumeration("Type", item_type)
        stored = dict(body)
        stored["Name"] = name
        income_id = ref_value(body, "IncomeAccountRef", required=item_type in NEEDS_INCOME_ACCOUNT)
        if income_id is not None:
            account = resolve(realm, "Account", income_id, "IncomeAccountRef")
            if account.body.get("AccountType") not in INCOME_TYPES:
                raise faults.invalid_account_type("IncomeAccountRef")
            stored["IncomeAccountRef"] = named_ref(account, "Name")
        for key in ("ExpenseAccountRef", "AssetAccountRef"):
            account_id = ref_value(body, key)
            if account_id is not None:
                stored[key] = named_ref(resolve(realm, "Account", account_id, key), "Name")
        for key in ("UnitPrice", "PurchaseCost"):
            stored[key] = decimal(body.get(key, 0), key)
        stored.setdefault("Active", True)
        stored.setdefault("Taxable", False)
        stored.setdefault("SalesTaxIncluded", False)
        stored.setdefault("PurchaseTaxIncluded", False)
        stored.setdefault("TrackQtyOnHand", item_type == "Inventory")
        return stored

    def extra_fields(self, realm: Realm, record: Record) -> JsonObject:  # noqa: ARG002
        return {"FullyQualifiedName": record.body["Name"]}
