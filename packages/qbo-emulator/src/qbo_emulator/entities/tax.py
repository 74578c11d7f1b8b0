"""Sales tax: TaxCode and TaxRate (read-only lists), the TaxService endpoint that creates them,
and the tax a sales form carries (US automated sales tax, or per-line tax codes elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from qbo_emulator import faults
from qbo_emulator.entities.base import (
    EntityKind,
    check_known,
    decimal,
    money,
    name_key,
    resolve,
    text,
)
from qbo_emulator.form_properties import TAX_CODE_PROPERTIES, TAX_RATE_PROPERTIES
from qbo_emulator.realm import Realm, Record
from qbo_emulator.wire import JsonObject

ZERO = Decimal("0")
HUNDRED = Decimal("100")
# The pseudo codes a US company puts on lines: taxable or not (quickbooks-api.md §9.4).
US_LINE_CODES = ("TAX", "NON")
TAX_SERVICE_KEYS = frozenset({"TaxCode", "TaxCodeId", "TaxRateDetails"})
TAX_RATE_DETAIL_KEYS = frozenset(
    {"TaxRateName", "TaxRateId", "RateValue", "TaxAgencyId", "TaxApplicableOn"}
)


class TaxCodeKind(EntityKind):
    """Read and query only; QBO creates tax codes through ``/taxservice/taxcode``."""

    name: ClassVar[str] = "TaxCode"
    properties: ClassVar[frozenset[str]] = TAX_CODE_PROPERTIES
    creatable: ClassVar[bool] = False
    updatable: ClassVar[bool] = False
    name_list: ClassVar[bool] = True
    default_order: ClassVar[str] = "Name"


class TaxRateKind(TaxCodeKind):
    name: ClassVar[str] = "TaxRate"
    properties: ClassVar[frozenset[str]] = TAX_RATE_PROPERTIES


def is_us(realm: Realm) -> bool:
    info = realm.get("CompanyInfo", "1")
    return info is None or info.body.get("Country", "US") == "US"


def _tax_prefs(realm: Realm) -> JsonObject:
    prefs = realm.get("Preferences", "1")
    return dict(prefs.body.get("TaxPrefs", {})) if prefs else {}


def automated_sales_tax(realm: Realm) -> bool:
    """AST is on for a US company using sales tax through Intuit's tax partner."""
    prefs = _tax_prefs(realm)
    return (
        is_us(realm)
        and prefs.get("UsingSalesTax") is True
        and prefs.get("PartnerTaxEnabled") is True
    )


def code_rates(realm: Realm, code: Record) -> list[Record]:
    """The sales tax rates a tax code charges (its SalesTaxRateList)."""
    details = (code.body.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
    rates = [realm.get("TaxRate", str(detail["TaxRateRef"]["value"])) for detail in details]
    return [rate for rate in rates if rate is not None]


@dataclass
class SalesTax:
    detail: JsonObject
    total: Decimal


def _tax_lines(realm: Realm, code: Record, taxable: Decimal) -> tuple[list[JsonObject], Decimal]:
    lines: list[JsonObject] = []
    total = ZERO
    for rate in code_rates(realm, code):
        percent = Decimal(str(rate.body.get("RateValue", 0)))
        amount = money(taxable * percent / HUNDRED)
        total += amount
        lines.append(
            {
                "Amount": amount,
                "DetailType": "TaxLineDetail",
                "TaxLineDetail": {
                    "TaxRateRef": {"value": rate.id, "name": rate.body.get("Name", "")},
                    "PercentBased": True,
                    "TaxPercent": percent,
                    "NetAmountTaxable": taxable,
                },
            }
        )
    return lines, total


def _override(detail: JsonObject) -> Decimal | None:
    """The TotalTax a client sends with a TxnTaxCodeRef: AST then keeps it as sent."""
    if detail.get("TxnTaxCodeRef") is None or detail.get("TotalTax") is None:
        return None
    total = money(decimal(detail["TotalTax"], "TxnTaxDetail.TotalTax"))
    if total < 0:
        raise faults.negative_amount("TxnTaxDetail.TotalTax")
    return total


def sales_tax(realm: Realm, body: JsonObject, lines: list[JsonObject]) -> SalesTax:
    """``TxnTaxDetail`` and the tax added to the total, as QBO computes them on save.

    Without sales tax every line is NON and the tax is 0. With AST (US) lines are TAX or
    NON and the tax is the company's default tax code's rates on the TAX lines, unless the
    client overrides it. Elsewhere each line names a TaxCode and is taxed at its rates.
    """
    sent = body.get("TxnTaxDetail") or {}
    if not isinstance(sent, dict):
        raise faults.required_param("TxnTaxDetail")
    item_lines = [line for line in lines if line["DetailType"] == "SalesItemLineDetail"]
    if not _tax_prefs(realm).get("UsingSalesTax"):
        return SalesTax({"TotalTax": ZERO}, ZERO)
    if is_us(realm):
        return _us_tax(realm, sent, item_lines)
    return _per_line_tax(realm, item_lines)


def _us_tax(realm: Realm, sent: JsonObject, item_lines: list[JsonObject]) -> SalesTax:
    taxable = ZERO
    for line in item_lines:
        line_code = str(line["SalesItemLineDetail"]["TaxCodeRef"]["value"])
        if line_code not in US_LINE_CODES:
            raise faults.invalid_line_tax_code(line_code)
        if line_code == "TAX":
            taxable += line["Amount"]
    code = _ast_code(realm)
    if code is None:
        return SalesTax({"TotalTax": ZERO}, ZERO)
    tax_lines, computed = _tax_lines(realm, code, taxable)
    override = _override(sent)
    total = computed if override is None else override
    detail: JsonObject = {
        "TxnTaxCodeRef": {"value": code.id, "name": code.body.get("Name", "")},
        "TotalTax": total,
        "TaxLine": tax_lines,
    }
    return SalesTax(detail, total)


def _ast_code(realm: Realm) -> Record | None:
    """The code AST charges: TaxPrefs.TaxGroupCodeRef, else the first active tax code (the
    emulator's stand-in for the rate of the ship-to address)."""
    code_id = (_tax_prefs(realm).get("TaxGroupCodeRef") or {}).get("value")
    if code_id is not None:
        return realm.get("TaxCode", str(code_id))
    codes = sorted((c for c in realm.all("TaxCode") if c.is_usable), key=lambda c: int(c.id))
    return codes[0] if codes else None


def _per_line_tax(realm: Realm, item_lines: list[JsonObject]) -> SalesTax:
    by_code: dict[str, Decimal] = {}
    for line in item_lines:
        code_id = str(line["SalesItemLineDetail"]["TaxCodeRef"]["value"])
        code = realm.get("TaxCode", code_id)
        if code is None or not code.is_usable:
            raise faults.invalid_line_tax_code(code_id)
        by_code[code.id] = by_code.get(code.id, ZERO) + line["Amount"]
    tax_lines: list[JsonObject] = []
    total = ZERO
    for code_id, taxable in by_code.items():
        more, amount = _tax_lines(realm, resolve(realm, "TaxCode", code_id, "TaxCodeRef"), taxable)
        tax_lines += more
        total += amount
    return SalesTax({"TotalTax": total, "TaxLine": tax_lines}, total)


def create_tax_code(realm: Realm, payload: JsonObject) -> JsonObject:
    """``POST /taxservice/taxcode``: a new TaxCode with new or existing TaxRates."""
    check_known(payload, TAX_SERVICE_KEYS, "TaxService")
    name = text(payload, "TaxCode", maximum=100)
    if not name or not name.strip():
        raise faults.required_param("TaxCode")
    if any(name_key(str(code.body["Name"])) == name_key(name) for code in realm.all("TaxCode")):
        raise faults.duplicate_name("tax code")
    raw_details = payload.get("TaxRateDetails")
    if not isinstance(raw_details, list) or not raw_details:
        raise faults.required_param("TaxRateDetails")
    answered: list[JsonObject] = []
    rate_refs: list[JsonObject] = []
    for raw in raw_details:
        if not isinstance(raw, dict):
            raise faults.required_param("TaxRateDetails")
        check_known(raw, TAX_RATE_DETAIL_KEYS, "TaxRateDetails")
        rate = _rate_for(realm, raw)
        applicable = raw.get("TaxApplicableOn", "Sales")
        if applicable not in ("Sales", "Purchase"):
            raise faults.invalid_enumeration("TaxApplicableOn", applicable)
        rate_refs.append({"TaxRateRef": {"value": rate.id, "name": rate.body["Name"]}})
        answered.append(
            {
                "TaxRateName": rate.body["Name"],
                "TaxRateId": rate.id,
                "RateValue": rate.body["RateValue"],
                "TaxAgencyId": rate.body["AgencyRef"]["value"],
                "TaxApplicableOn": applicable,
            }
        )
    code = realm.add(
        "TaxCode",
        {
            "Name": name.strip(),
            "Description": name.strip(),
            "Active": True,
            "Taxable": True,
            "TaxGroup": len(rate_refs) > 1,
            "SalesTaxRateList": {"TaxRateDetail": rate_refs},
            "PurchaseTaxRateList": {"TaxRateDetail": []},
        },
    )
    return {"TaxCode": code.body["Name"], "TaxCodeId": code.id, "TaxRateDetails": answered}


def _rate_for(realm: Realm, raw: JsonObject) -> Record:
    if raw.get("TaxRateId") is not None:
        return resolve(realm, "TaxRate", str(raw["TaxRateId"]), "TaxRateId")
    name = text(raw, "TaxRateName", maximum=100)
    if not name:
        raise faults.required_param("TaxRateName")
    if raw.get("RateValue") is None:
        raise faults.required_param("RateValue")
    value = decimal(raw["RateValue"], "RateValue")
    if value < 0:
        raise faults.negative_amount("RateValue")
    agency = raw.get("TaxAgencyId")
    if agency is None:
        raise faults.required_param("TaxAgencyId")
    return realm.add(
        "TaxRate",
        {
            "Name": name,
            "Description": name,
            "Active": True,
            "RateValue": value,
            "AgencyRef": {"value": str(agency)},
            "SpecialTaxType": "NONE",
            "DisplayType": "ReadOnly",
            "EffectiveTaxRate": [{"RateValue": value}],
        },
    )
