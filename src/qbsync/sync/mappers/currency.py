"""Currencies: CurrencyRef and ExchangeRate for multi-currency companies, and the refusals
that keep a document out of QuickBooks rather than in it in the wrong currency."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from qbsync.errors import InvalidInput
from qbsync.quickbooks.schemas import Preferences, Ref
from qbsync.sync.errors import CurrencyMismatch


@dataclass(frozen=True)
class CurrencySetup:
    multi_currency: bool
    home: str


def currency_setup(preferences: Preferences) -> CurrencySetup:
    prefs = preferences.currency_prefs
    home = prefs.home_currency.value if prefs and prefs.home_currency else "USD"
    return CurrencySetup(bool(prefs and prefs.multi_currency_enabled), home.upper())


@dataclass(frozen=True)
class CurrencyFields:
    currency_ref: Ref | None
    exchange_rate: Decimal | None


def _code(value: str | None, setup: CurrencySetup) -> str:
    return (value or setup.home).strip().upper()


def customer_currency(setup: CurrencySetup, currency: str | None) -> Ref | None:
    """A new customer's currency (fixed once QuickBooks holds it): sent only when the
    company has multi-currency on."""
    if not setup.multi_currency:
        return None
    return Ref(value=_code(currency, setup))


def document_currency(
    setup: CurrencySetup,
    *,
    document: str | None,
    customer: str | None,
    exchange_rate: Decimal | None,
    what: str,
) -> CurrencyFields:
    """The currency fields of a document (invoice, payment, credit, refund) for a customer
    whose QuickBooks currency is ``customer`` (None: the home currency)."""
    doc = _code(document, setup)
    if not setup.multi_currency:
        if doc != setup.home:
            raise CurrencyMismatch(
                f"{what} is in {doc} but the QuickBooks company works in {setup.home} only",
                hint=(
                    "turn on multicurrency in QuickBooks (Settings → Account and settings → "
                    f"Advanced → Currency), add {doc}, then retry"
                ),
            )
        return CurrencyFields(None, None)
    held = _code(customer, setup)
    if doc != held:
        raise CurrencyMismatch(
            f"{what} is in {doc} but the customer's QuickBooks currency is {held}, and "
            "QuickBooks never changes a customer's currency",
            hint=(
                f"bill this customer in {held} in Aforo, or create a separate QuickBooks "
                f"customer in {doc} and link it (then retry)"
            ),
        )
    if doc == setup.home:
        return CurrencyFields(Ref(value=doc), None)
    if exchange_rate is not None and exchange_rate <= 0:
        raise InvalidInput(f"{what} has a non-positive exchange rate ({exchange_rate})")
    # Without Aforo's rate QuickBooks uses its own rate of the day.
    return CurrencyFields(Ref(value=doc), exchange_rate)
