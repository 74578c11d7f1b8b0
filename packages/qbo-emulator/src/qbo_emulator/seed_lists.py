"""The small lists a new US sandbox company starts with: payment methods, sales terms, and
one combined sales tax (a state and a city rate) for automated sales tax to charge."""

from __future__ import annotations

from decimal import Decimal

from qbo_emulator.realm import Realm
from qbo_emulator.wire import JsonObject

PAYMENT_METHODS = (
    ("1", "Cash", "NON_CREDIT_CARD"),
    ("2", "Check", "NON_CREDIT_CARD"),
    ("3", "Visa", "CREDIT_CARD"),
    ("4", "MasterCard", "CREDIT_CARD"),
    ("5", "Discover", "CREDIT_CARD"),
    ("6", "American Express", "CREDIT_CARD"),
)
# (Id, Name, DueDays) — Id 3 is the seeded Preferences' DefaultTerms.
TERMS = (("1", "Due on receipt", 0), ("2", "Net 10", 10), ("3", "Net 15", 15), ("4", "Net 30", 30))
TAX_RATES = (("1", "California", Decimal("8")), ("2", "San Pablo City", Decimal("0.5")))
TAX_AGENCY_ID = "1"


def seed_lists(realm: Realm) -> None:
    for method_id, name, method_type in PAYMENT_METHODS:
        realm.add(
            "PaymentMethod",
            {"Name": name, "Type": method_type, "Active": True},
            record_id=method_id,
        )
    for term_id, name, days in TERMS:
        realm.add(
            "Term",
            {"Name": name, "Type": "STANDARD", "DueDays": days, "Active": True},
            record_id=term_id,
        )
    for rate_id, name, value in TAX_RATES:
        rate: JsonObject = {
            "Name": name,
            "Description": "Sales Tax",
            "Active": True,
            "RateValue": value,
            "AgencyRef": {"value": TAX_AGENCY_ID},
            "SpecialTaxType": "NONE",
            "DisplayType": "ReadOnly",
            "EffectiveTaxRate": [{"RateValue": value}],
        }
        realm.add("TaxRate", rate, record_id=rate_id)
    code: JsonObject = {
        "Name": "California",
        "Description": "California",
        "Active": True,
        "Taxable": True,
        "TaxGroup": True,
        "SalesTaxRateList": {
            "TaxRateDetail": [
                {"TaxRateRef": {"value": rate_id, "name": name}, "TaxTypeApplicable": "TaxOnAmount"}
                for rate_id, name, _ in TAX_RATES
            ]
        },
        "PurchaseTaxRateList": {"TaxRateDetail": []},
    }
    realm.add("TaxCode", code, record_id="2")
