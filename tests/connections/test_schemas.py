"""Per-connection sync settings: defaults, bounds and the payment-method lookup."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from qbsync.connections.schemas import ConnectionSettings

METHODS = {"card": "3", "Bank Transfer": "7", "stra\u00dfe": "9"}


class TestDefaults:
    def test_defaults(self):
        settings = ConnectionSettings()
        assert settings.income_account_id is None  # the company's first Income account
        assert settings.deposit_account_id is None  # QuickBooks' Undeposited Funds
        assert settings.fallback_item_name == "Subscription Service"
        assert settings.payment_method_ids == {}
        assert settings.payment_terms_days == 30

    def test_from_the_stored_json(self):
        settings = ConnectionSettings.model_validate(
            {
                "income_account_id": "79",
                "deposit_account_id": "35",
                "fallback_item_name": "Usage",
                "payment_method_ids": METHODS,
                "payment_terms_days": 15,
            }
        )
        assert settings.income_account_id == "79"
        assert settings.deposit_account_id == "35"
        assert settings.fallback_item_name == "Usage"
        assert settings.payment_method_id("CARD") == "3"
        assert settings.payment_terms_days == 15

    @pytest.mark.parametrize("days", [0, 1, 30, 999])
    def test_terms_within_bounds(self, days):
        assert ConnectionSettings(payment_terms_days=days).payment_terms_days == days

    @pytest.mark.parametrize("days", [-1, 1000])
    def test_terms_out_of_bounds_refused(self, days):
        with pytest.raises(ValidationError):
            ConnectionSettings(payment_terms_days=days)


class TestPaymentMethodId:
    @pytest.mark.parametrize(
        ("method", "expected"),
        [
            ("card", "3"),
            ("CARD", "3"),
            ("Card", "3"),
            ("bank transfer", "7"),
            ("BANK TRANSFER", "7"),
            ("Bank Transfer", "7"),
            ("STRASSE", "9"),  # casefold, not lower: \u00df folds to "ss"
            ("cash", None),
            ("bank", None),
            ("", None),
            (None, None),
        ],
    )
    def test_case_insensitive_lookup(self, method, expected):
        assert ConnectionSettings(payment_method_ids=METHODS).payment_method_id(method) == expected

    @pytest.mark.parametrize("method", ["card", None, ""])
    def test_nothing_configured(self, method):
        assert ConnectionSettings().payment_method_id(method) is None
