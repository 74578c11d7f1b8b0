"""Currencies: what a document carries in single- and multi-currency companies, and the
refusals that say how to fix a mismatch."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qbsync.errors import InvalidInput
from qbsync.quickbooks.schemas import CurrencyPrefs, Invoice, Preferences, Ref
from qbsync.quickbooks.wire import entity_payload
from qbsync.sync.mappers.currency import (
    CurrencyMismatch,
    CurrencySetup,
    currency_setup,
    customer_currency,
    document_currency,
)
from tests.quickbooks.xsd import validation_errors

D = Decimal
SINGLE = CurrencySetup(multi_currency=False, home="USD")
MULTI = CurrencySetup(multi_currency=True, home="USD")


class TestSetup:
    @pytest.mark.parametrize(
        ("prefs", "expected"),
        [
            (None, SINGLE),
            (
                CurrencyPrefs(multi_currency_enabled=True, home_currency=Ref(value="gbp")),
                CurrencySetup(True, "GBP"),
            ),
            (CurrencyPrefs(multi_currency_enabled=False), SINGLE),
        ],
    )
    def test_from_preferences(self, prefs, expected) -> None:
        assert currency_setup(Preferences(currency_prefs=prefs)) == expected


class TestCustomerCurrency:
    @pytest.mark.parametrize(
        ("setup", "currency", "expected"),
        [
            (SINGLE, "EUR", None),
            (MULTI, None, Ref(value="USD")),
            (MULTI, "eur", Ref(value="EUR")),
        ],
    )
    def test_sent_only_to_multi_currency_companies(self, setup, currency, expected) -> None:
        assert customer_currency(setup, currency) == expected


class TestDocumentCurrency:
    @pytest.mark.parametrize(
        ("setup", "document", "customer", "rate", "ref", "sent_rate"),
        [
            (SINGLE, None, None, None, None, None),
            (SINGLE, "usd", None, D("1.1"), None, None),
            (MULTI, None, None, None, "USD", None),
            (MULTI, "USD", "USD", D("1"), "USD", None),
            (MULTI, "EUR", "EUR", D("1.0842"), "EUR", D("1.0842")),
            (MULTI, "EUR", "EUR", None, "EUR", None),  # QuickBooks' rate of the day
        ],
    )
    def test_fields(self, setup, document, customer, rate, ref, sent_rate) -> None:
        fields = document_currency(
            setup, document=document, customer=customer, exchange_rate=rate, what="invoice X"
        )
        assert (fields.currency_ref.value if fields.currency_ref else None) == ref
        assert fields.exchange_rate == sent_rate
        invoice = Invoice(
            customer_ref=Ref(value="1"),
            currency_ref=fields.currency_ref,
            exchange_rate=fields.exchange_rate,
        )
        assert validation_errors("Invoice", entity_payload(invoice)) == []

    @pytest.mark.parametrize(
        ("setup", "document", "customer", "says", "fix"),
        [
            (SINGLE, "EUR", None, "works in USD only", "turn on multicurrency"),
            (
                MULTI,
                "EUR",
                "USD",
                "customer's QuickBooks currency is USD",
                "separate QuickBooks customer in EUR",
            ),
            (
                MULTI,
                "USD",
                "GBP",
                "customer's QuickBooks currency is GBP",
                "bill this customer in GBP",
            ),
        ],
    )
    def test_a_mismatch_is_refused_with_the_fix(self, setup, document, customer, says, fix) -> None:
        with pytest.raises(CurrencyMismatch) as caught:
            document_currency(
                setup, document=document, customer=customer, exchange_rate=None, what="invoice X"
            )
        assert says in caught.value.message
        assert fix in (caught.value.hint or "")
        assert caught.value.code == "currency_mismatch"
        assert not caught.value.retryable

    def test_a_non_positive_rate_is_refused(self) -> None:
        with pytest.raises(InvalidInput, match="exchange rate"):
            document_currency(
                MULTI, document="EUR", customer="EUR", exchange_rate=D(0), what="invoice X"
            )
