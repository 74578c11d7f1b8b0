"""Multi-currency: CompanyCurrency (the currencies a company uses besides its home one),
ExchangeRate (per currency and date), and the CurrencyRef rules of customers and transactions.

Multi-currency is off until ``Preferences.CurrencyPrefs.MultiCurrencyEnabled`` is set true
(the emulator's switch for it; in QBO it is a company setting that cannot be turned off).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from qbo_emulator import clock, faults
from qbo_emulator.entities.base import EntityKind, WriteOptions, boolean, decimal, money
from qbo_emulator.form_properties import COMPANY_CURRENCY_PROPERTIES, EXCHANGE_RATE_PROPERTIES
from qbo_emulator.realm import Realm, Record
from qbo_emulator.wire import JsonObject

ONE = Decimal("1")
# ISO-4217 codes the emulator knows, with QBO's names and a starting rate to USD.
CURRENCIES: dict[str, tuple[str, Decimal]] = {
    "USD": ("United States Dollar", ONE),
    "EUR": ("Euro", Decimal("1.08")),
    "GBP": ("British Pound Sterling", Decimal("1.27")),
    "CAD": ("Canadian Dollar", Decimal("0.73")),
    "AUD": ("Australian Dollar", Decimal("0.66")),
    "INR": ("Indian Rupee", Decimal("0.012")),
    "JPY": ("Japanese Yen", Decimal("0.0067")),
    "MXN": ("Mexican Peso", Decimal("0.058")),
}


def _currency_prefs(realm: Realm) -> JsonObject:
    prefs = realm.get("Preferences", "1")
    return dict(prefs.body.get("CurrencyPrefs", {})) if prefs else {}


def multicurrency(realm: Realm) -> bool:
    return _currency_prefs(realm).get("MultiCurrencyEnabled") is True


def home_currency(realm: Realm) -> str:
    return str((_currency_prefs(realm).get("HomeCurrency") or {}).get("value", "USD"))


def currency_ref(code: str) -> JsonObject:
    return {"value": code, "name": CURRENCIES[code][0] if code in CURRENCIES else code}


def _company_currency(realm: Realm, code: str) -> Record | None:
    for record in realm.all("CompanyCurrency"):
        if record.body.get("Code") == code and record.is_usable:
            return record
    return None


def _usable_code(realm: Realm, body: JsonObject, element: str) -> str | None:
    ref = body.get("CurrencyRef")
    if ref is None:
        return None
    if not isinstance(ref, dict) or not isinstance(ref.get("value"), str):
        raise faults.required_param(f"{element}.value")
    code = str(ref["value"]).upper()
    if code == home_currency(realm):
        return code
    if not multicurrency(realm):
        raise faults.business_validation(
            "Multicurrency is not enabled for this company; only the home currency can be used",
            element,
        )
    if _company_currency(realm, code) is None:
        raise faults.object_not_found(element)
    return code


def customer_currency(realm: Realm, body: JsonObject, existing: Record | None) -> JsonObject:
    """A customer's currency is set when it is created and can never change afterwards."""
    code = _usable_code(realm, body, "CurrencyRef")
    if existing is None:
        return currency_ref(code or home_currency(realm))
    held = str(existing.body.get("CurrencyRef", {}).get("value", home_currency(realm)))
    if code is not None and code != held:
        raise faults.business_validation(
            "You can't change the currency of a customer once it has been created", "CurrencyRef"
        )
    return currency_ref(held)


def transaction_currency(realm: Realm, body: JsonObject, customer: Record | None) -> JsonObject:
    """``CurrencyRef`` and ``ExchangeRate`` of a customer transaction (invoice, payment, ...).

    The transaction must be in its customer's currency; a foreign one takes the day's rate
    unless the client sends its own ``ExchangeRate``.
    """
    code = _usable_code(realm, body, "CurrencyRef")
    held = (
        str(customer.body.get("CurrencyRef", {}).get("value", home_currency(realm)))
        if customer is not None
        else None
    )
    if code is not None and held is not None and code != held:
        raise faults.business_validation(
            f"The transaction currency {code} does not match the customer's currency {held}",
            "CurrencyRef",
        )
    code = code or held or home_currency(realm)
    if code == home_currency(realm):
        return {"CurrencyRef": currency_ref(code)}
    if body.get("ExchangeRate") is not None:
        rate = decimal(body["ExchangeRate"], "ExchangeRate")
        if rate <= 0:
            raise faults.invalid_number("ExchangeRate", body["ExchangeRate"])
    else:
        rate = rate_on(realm, code, clock.company_today())
    return {"CurrencyRef": currency_ref(code), "ExchangeRate": rate}


def home_amount(record: Record, amount: Decimal) -> Decimal:
    """An amount in the home currency (``HomeTotalAmt``, ``HomeBalance``)."""
    rate = record.body.get("ExchangeRate", ONE)
    return money(amount * (rate if isinstance(rate, Decimal) else Decimal(str(rate))))


def home_fields(record: Record, total: Decimal, balance: Decimal | None) -> JsonObject:
    if "ExchangeRate" not in record.body:
        return {}
    fields: JsonObject = {"HomeTotalAmt": home_amount(record, total)}
    if balance is not None:
        fields["HomeBalance"] = home_amount(record, balance)
    return fields


# -- exchange rates --------------------------------------------------------------------


def _rates_of(realm: Realm, code: str) -> list[Record]:
    rates = [r for r in realm.all("ExchangeRate") if r.body["SourceCurrencyCode"] == code]
    return sorted(rates, key=lambda record: str(record.body["AsOfDate"]))


def rate_record(realm: Realm, code: str, as_of: date) -> Record:
    """The rate in force on ``as_of``: the latest set on or before it (else the earliest)."""
    rates = _rates_of(realm, code)
    if not rates:
        raise faults.object_not_found("SourceCurrencyCode")
    earlier = [r for r in rates if str(r.body["AsOfDate"]) <= as_of.isoformat()]
    return earlier[-1] if earlier else rates[0]


def rate_on(realm: Realm, code: str, as_of: date) -> Decimal:
    rate = rate_record(realm, code, as_of).body["Rate"]
    return rate if isinstance(rate, Decimal) else Decimal(str(rate))


def _as_of(value: object) -> date:
    if value is None:
        return clock.company_today()
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise faults.QboFault(
            faults.FaultError("2070", "Invalid Date", f"Invalid Date : {value} is not a date")
        ) from None


def read_rate(realm: Realm, params: dict[str, str]) -> JsonObject:
    """``GET /exchangerate?sourcecurrencycode=EUR&asofdate=2026-11-30``."""
    code = params.get("sourcecurrencycode")
    if not code:
        raise faults.required_param("sourcecurrencycode")
    as_of = _as_of(params.get("asofdate"))
    record = rate_record(realm, code.upper(), as_of)
    return ExchangeRateKind().render(realm, record)


def write_rate(realm: Realm, payload: JsonObject) -> JsonObject:
    """``POST /exchangerate``: set a currency's rate for a date (an update of that date's rate
    when one exists, checked against its SyncToken)."""
    code = str(payload.get("SourceCurrencyCode") or "").upper()
    if not code:
        raise faults.required_param("SourceCurrencyCode")
    if code == home_currency(realm) or _company_currency(realm, code) is None:
        raise faults.object_not_found("SourceCurrencyCode")
    if payload.get("Rate") is None:
        raise faults.required_param("Rate")
    rate = decimal(payload["Rate"], "Rate")
    if rate <= 0:
        raise faults.invalid_number("Rate", payload["Rate"])
    as_of = _as_of(payload.get("AsOfDate")).isoformat()
    same_day = [r for r in _rates_of(realm, code) if r.body["AsOfDate"] == as_of]
    if same_day:
        record = same_day[0]
        if str(payload.get("SyncToken", record.sync_token)) != str(record.sync_token):
            raise faults.stale_object()
        record.body["Rate"] = rate
        record.touch()
    else:
        record = add_rate(realm, code, rate, as_of)
    return ExchangeRateKind().render(realm, record)


def add_rate(realm: Realm, code: str, rate: Decimal, as_of: str) -> Record:
    body: JsonObject = {
        "SourceCurrencyCode": code,
        "TargetCurrencyCode": home_currency(realm),
        "Rate": rate,
        "AsOfDate": as_of,
    }
    return realm.add("ExchangeRate", body)


class CompanyCurrencyKind(EntityKind):
    name: ClassVar[str] = "CompanyCurrency"
    properties: ClassVar[frozenset[str]] = COMPANY_CURRENCY_PROPERTIES
    name_list: ClassVar[bool] = True
    default_order: ClassVar[str] = "Code"

    def normalize(
        self,
        realm: Realm,
        body: JsonObject,
        *,
        existing: Record | None,
        options: WriteOptions,  # noqa: ARG002
    ) -> JsonObject:
        if not multicurrency(realm):
            raise faults.business_validation(
                "Multicurrency is not enabled for this company", "Code"
            )
        code = str(body.get("Code") or "").upper()
        if not code:
            raise faults.required_param("Code")
        if code not in CURRENCIES or code == home_currency(realm):
            raise faults.invalid_enumeration("Code", body.get("Code"))
        if existing is not None and existing.body["Code"] != code:
            raise faults.business_validation("The currency code cannot be changed", "Code")
        if existing is None and any(r.body["Code"] == code for r in realm.all(self.name)):
            raise faults.duplicate_name("currency")
        return {"Code": code, "Name": CURRENCIES[code][0], "Active": boolean(body, "Active", True)}

    def after_save(self, realm: Realm, record: Record) -> None:
        code = str(record.body["Code"])
        if not _rates_of(realm, code):
            add_rate(realm, code, CURRENCIES[code][1], clock.company_today().isoformat())


class ExchangeRateKind(EntityKind):
    """Queried, or read and set through ``/exchangerate`` (no Id: keyed by currency and date)."""

    name: ClassVar[str] = "ExchangeRate"
    properties: ClassVar[frozenset[str]] = EXCHANGE_RATE_PROPERTIES
    creatable: ClassVar[bool] = False
    updatable: ClassVar[bool] = False
    default_order: ClassVar[str] = "SourceCurrencyCode"

    def render(self, realm: Realm, record: Record) -> JsonObject:
        doc = super().render(realm, record)
        doc.pop("Id")
        return doc
