"""Rate plan -> QBO Service item: a QBO-safe name (or the fallback) and the item payload."""

from __future__ import annotations

import pytest

from qbsync.aforo.rateplans import AforoRatePlan
from qbsync.quickbooks.schemas import Ref
from qbsync.quickbooks.wire import entity_payload
from qbsync.sync.mappers.items import (
    DEFAULT_ITEM_NAME,
    ITEM_IDS,
    item_name,
    map_item,
)
from qbsync.sync.mappers.text import ITEM_NAME_MAX

FALLBACK = "Subscription Service"


class TestItemName:
    @pytest.mark.parametrize(
        ("plan_name", "expected"),
        [
            ("Growth Plan", "Growth Plan"),
            ("  Growth   Plan ", "Growth Plan"),
            ("Growth\tPlan", "Growth Plan"),
            ("Growth\nPlan", "Growth Plan"),
            ("Plans: Growth", "Plans - Growth"),  # a colon would make it a sub-item path
            ("API Calls (per 1k) & Storage", "API Calls (per 1k) & Storage"),
            ("Pro \u00e9dition \U0001f680", "Pro \u00e9dition \U0001f680"),
            ("p" * 150, "p" * ITEM_NAME_MAX),
            (None, FALLBACK),
            ("", FALLBACK),
            ("   ", FALLBACK),
            ("\t\n", FALLBACK),
        ],
    )
    def test_table(self, plan_name, expected):
        assert item_name(plan_name, fallback=FALLBACK) == expected

    @pytest.mark.parametrize(
        ("fallback", "expected"),
        [
            ("Usage", "Usage"),
            ("  Usage  Fees ", "Usage Fees"),
            ("Billing: Usage", "Billing - Usage"),
            ("f" * 150, "f" * ITEM_NAME_MAX),
            ("", DEFAULT_ITEM_NAME),
            ("  ", DEFAULT_ITEM_NAME),
        ],
    )
    def test_the_configured_fallback_is_made_safe_too(self, fallback, expected):
        assert item_name(None, fallback=fallback) == expected

    def test_name_from_the_rate_plan_service_answer(self):
        plan = AforoRatePlan.model_validate(
            {
                "ratePlanId": 5,
                "ratePlanCode": "GROWTH",
                "ratePlanName": "Growth: Monthly",
                "billingFrequency": "MONTHLY",
                "status": "ACTIVE",
                "createdOn": "2026-01-05T10:00:00",
                "pricing": {"flatFee": 200},
            }
        )
        assert item_name(plan.rate_plan_name, fallback=FALLBACK) == "Growth - Monthly"


class TestMapItem:
    def test_service_item_on_the_wire(self):
        assert entity_payload(map_item("Growth Plan", income_account_id="79")) == {
            "Active": True,
            "Name": "Growth Plan",
            "Type": "Service",
            "IncomeAccountRef": {"value": "79"},
        }

    @pytest.mark.parametrize("account", ["1", "79", "1234"])
    def test_income_account(self, account):
        item = map_item("Growth Plan", income_account_id=account)
        assert item.income_account_ref == Ref(value=account)
        assert item.type == "Service"
        assert item.active is True

    @pytest.mark.parametrize(("description", "sent"), [("Monthly plan", True), (None, False)])
    def test_description_only_when_given(self, description, sent):
        payload = entity_payload(map_item("Growth", income_account_id="1", description=description))
        assert ("Description" in payload) is sent
        if sent:
            assert payload["Description"] == description


class TestItemAforoIds:
    @pytest.mark.parametrize(
        ("plan_id", "expected"), [(5, "rateplan-5"), (12345, "rateplan-12345")]
    )
    def test_one_item_per_rate_plan(self, plan_id, expected):
        assert ITEM_IDS.format(plan_id) == expected

    def test_fallback_has_its_own_id(self):
        assert ITEM_IDS.fallback not in {ITEM_IDS.format(n) for n in range(100)}
