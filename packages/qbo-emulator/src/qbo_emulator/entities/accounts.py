"""Account: the chart of accounts, AccountType/SubType pairs and their classification."""

from __future__ import annotations

from typing import ClassVar

from qbo_emulator import faults
from qbo_emulator.entities import ledger
from qbo_emulator.entities.base import (
    USD,
    EntityKind,
    WriteOptions,
    check_name_chars,
    name_key,
    ref_value,
    resolve,
    text,
)
from qbo_emulator.properties import ACCOUNT_PROPERTIES
from qbo_emulator.realm import Realm, Record
from qbo_emulator.wire import JsonObject

# AccountType -> Classification (SDK:java AccountTypeEnum / AccountClassificationEnum).
CLASSIFICATION = {
    "Bank": "Asset",
    "Accounts Receivable": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Other Current Liability": "Liability",
    "Long Term Liability": "Liability",
    "Equity": "Equity",
    "Income": "Revenue",
    "Other Income": "Revenue",
    "Cost of Goods Sold": "Expense",
    "Expense": "Expense",
    "Other Expense": "Expense",
}
# Sub-types the emulator knows, so an account can be created from AccountSubType alone.
SUBTYPE_TO_TYPE = {
    "Checking": "Bank",
    "Savings": "Bank",
    "AccountsReceivable": "Accounts Receivable",
    "UndepositedFunds": "Other Current Asset",
    "OtherCurrentAssets": "Other Current Asset",
    "AccountsPayable": "Accounts Payable",
    "OpeningBalanceEquity": "Equity",
    "RetainedEarnings": "Equity",
    "ServiceFeeIncome": "Income",
    "SalesOfProductIncome": "Income",
    "DiscountsRefundsGiven": "Income",
    "OtherPrimaryIncome": "Income",
    "UnappliedCashPaymentIncome": "Income",
    "OtherMiscellaneousIncome": "Other Income",
    "SuppliesMaterialsCogs": "Cost of Goods Sold",
    "AdvertisingPromotional": "Expense",
    "OfficeGeneralAdministrativeExpenses": "Expense",
}
DEFAULT_SUBTYPE = {
    "Bank": "Checking",
    "Accounts Receivable": "AccountsReceivable",
    "Other Current Asset": "OtherCurrentAssets",
    "Accounts Payable": "AccountsPayable",
    "Equity": "OpeningBalanceEquity",
    "Income": "OtherPrimaryIncome",
    "Other Income": "OtherMiscellaneousIncome",
    "Cost of Goods Sold": "SuppliesMaterialsCogs",
    "Expense": "OfficeGeneralAdministrativeExpenses",
}
INCOME_TYPES = ("Income", "Other Income")
DEPOSIT_TYPES = ("Bank", "Other Current Asset")


class AccountKind(EntityKind):
    name: ClassVar[str] = "Account"
    properties: ClassVar[frozenset[str]] = ACCOUNT_PROPERTIES
    computed: ClassVar[frozenset[str]] = frozenset(
        {"FullyQualifiedName", "Classification", "CurrentBalance", "CurrentBalanceWithSubAccounts"}
    )
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
        if not name:
            raise faults.required_param("Name")
        check_name_chars(name, "Name", (":", '"'))
        for other in realm.all("Account"):
            if other is not existing and name_key(str(other.body.get("Name", ""))) == name_key(
                name
            ):
                raise faults.duplicate_name("account")
        account_type = body.get("AccountType")
        sub_type = body.get("AccountSubType")
        if account_type is None:
            if sub_type is None:
                raise faults.required_param("AccountType")
            if not isinstance(sub_type, str) or sub_type not in SUBTYPE_TO_TYPE:
                raise faults.invalid_enumeration("AccountSubType", sub_type)
            account_type = SUBTYPE_TO_TYPE[sub_type]
        if not isinstance(account_type, str) or account_type not in CLASSIFICATION:
            raise faults.invalid_enumeration("AccountType", account_type)
        stored = dict(body)
        stored["Name"] = name.strip()
        stored["AccountType"] = account_type
        stored.setdefault("AccountSubType", DEFAULT_SUBTYPE.get(account_type, ""))
        parent_id = ref_value(body, "ParentRef")
        if parent_id is not None:
            resolve(realm, "Account", parent_id, "ParentRef")
            stored["SubAccount"] = True
        stored.setdefault("SubAccount", False)
        stored.setdefault("Active", True)
        stored.setdefault("CurrencyRef", dict(USD))
        return stored

    def extra_fields(self, realm: Realm, record: Record) -> JsonObject:
        qualified = str(record.body["Name"])
        parent_id = (record.body.get("ParentRef") or {}).get("value")
        parent = realm.get("Account", parent_id) if parent_id else None
        if parent is not None:
            qualified = f"{parent.body['Name']}:{qualified}"
        balance = ledger.account_balance(realm, record.id)
        return {
            "FullyQualifiedName": qualified,
            "Classification": CLASSIFICATION[str(record.body["AccountType"])],
            "CurrentBalance": balance,
            "CurrentBalanceWithSubAccounts": balance,
        }
