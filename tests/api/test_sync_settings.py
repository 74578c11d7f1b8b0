"""/api/quickbooks/settings over HTTP against the emulator: read, choices from the company,
changes checked against it (every bad field named), saved and logged; tenants only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from qbsync.config import Settings
from tests.api.test_compat import running_ui_app
from tests.fixtures.sync import connect_org, new_id
from tests.tokens import auth_headers

SETTINGS = "/api/quickbooks/settings"


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    async with running_ui_app(settings) as application:
        yield application


async def _tracking(emulator_control, realm_id: str) -> None:
    await emulator_control.person_edit(
        realm_id,
        "Preferences",
        "1",
        {"AccountingInfoPrefs": {"ClassTrackingPerTxn": True, "TrackDepartments": True}},
    )


class TestReadAndChoices:
    async def test_defaults_then_the_companys_lists(self, client, org) -> None:
        headers = auth_headers(org.organization_id)
        got = await client.get(SETTINGS, headers=headers)
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["realmId"] == org.realm_id
        assert body["settings"]["draftInvoices"] == "sync"
        assert body["settings"]["paymentTermsDays"] == 30
        assert body["settings"]["taxCodeIds"] == {}

        choices = (await client.get(f"{SETTINGS}/choices", headers=headers)).json()
        assert choices["company"]["taxMode"] == "NONE"
        assert choices["company"]["homeCurrency"] == "USD"
        assert choices["company"]["autoApplyCredit"] is True
        assert {"Visa", "Cash"} <= {m["name"] for m in choices["paymentMethods"]}
        assert "Net 30" in {t["name"] for t in choices["terms"]}
        assert {a["type"] for a in choices["incomeAccounts"]} <= {"Income", "Other Income"}
        assert "Undeposited Funds" in {a["name"] for a in choices["depositAccounts"]}
        [california] = choices["taxCodes"]
        assert california["rate"] == "8.5"

    async def test_without_a_connection_404_with_the_way_out(self, client) -> None:
        got = await client.get(SETTINGS, headers=auth_headers(new_id()))
        assert got.status_code == 404
        assert "connect" in got.json()["hint"]


class TestChange:
    async def test_a_valid_change_is_saved_and_logged(self, client, org, emulator_control) -> None:
        await _tracking(emulator_control, org.realm_id)
        headers = auth_headers(org.organization_id)
        choices = (await client.get(f"{SETTINGS}/choices", headers=headers)).json()
        bank = next(a for a in choices["depositAccounts"] if a["type"] == "Bank")
        visa = next(m for m in choices["paymentMethods"] if m["name"] == "Visa")
        net15 = next(t for t in choices["terms"] if t["name"] == "Net 15")
        wanted = {
            "incomeAccountId": choices["incomeAccounts"][0]["id"],
            "depositAccountId": bank["id"],
            "refundAccountId": bank["id"],
            "paymentMethodIds": {"card": visa["id"]},
            "salesTermId": net15["id"],
            "draftInvoices": "wait",
        }
        put = await client.put(SETTINGS, json=wanted, headers=headers)
        assert put.status_code == 200, put.text
        assert put.json()["changed"] == sorted(
            [
                "incomeAccountId",
                "depositAccountId",
                "refundAccountId",
                "paymentMethodIds",
                "salesTermId",
                "draftInvoices",
            ]
        )
        again = await client.get(SETTINGS, headers=headers)
        assert again.json()["settings"]["paymentMethodIds"] == {"card": visa["id"]}
        # The same document again changes nothing and logs nothing.
        assert (await client.put(SETTINGS, json=wanted, headers=headers)).json()["changed"] == []
        [change] = (await client.get(f"{SETTINGS}/changes", headers=headers)).json()
        assert change["changedBy"] is not None
        assert change["changes"]["depositAccountId"] == {"from": None, "to": bank["id"]}
        assert change["changes"]["draftInvoices"] == {"from": "sync", "to": "wait"}

    async def test_every_field_that_does_not_fit_is_named(self, client, org) -> None:
        headers = auth_headers(org.organization_id)
        choices = (await client.get(f"{SETTINGS}/choices", headers=headers)).json()
        income = choices["incomeAccounts"][0]["id"]
        put = await client.put(
            SETTINGS,
            json={
                "depositAccountId": income,  # an income account cannot take deposits
                "paymentMethodIds": {"card": "999"},
                "classId": "1",  # the company does not track classes
                "taxCodeIds": {"20": "2"},  # no sales tax in this company
            },
            headers=headers,
        )
        assert put.status_code == 422, put.text
        message = put.json()["message"]
        for part in ("depositAccountId", "paymentMethodIds.card", "classId", "taxCodeIds"):
            assert part in message
        assert "choices" in put.json()["hint"]
        settings = (await client.get(SETTINGS, headers=headers)).json()["settings"]
        assert settings["depositAccountId"] is None
        assert (await client.get(f"{SETTINGS}/changes", headers=headers)).json() == []

    async def test_unknown_fields_and_bad_values_are_422(self, client, org) -> None:
        headers = auth_headers(org.organization_id)
        for body in ({"incomeAcount": "1"}, {"paymentTermsDays": -1}, {"draftInvoices": "later"}):
            put = await client.put(SETTINGS, json=body, headers=headers)
            assert put.status_code == 422, body

    async def test_tax_codes_of_a_non_us_company_keyed_by_rate(
        self, client, resources, emulator_control, sessionmaker
    ) -> None:
        org = await connect_org(resources, emulator_control, sessionmaker, new_id(), country="GB")
        await emulator_control.person_edit(
            org.realm_id, "Preferences", "1", {"TaxPrefs": {"UsingSalesTax": True}}
        )
        headers = auth_headers(org.organization_id)
        choices = (await client.get(f"{SETTINGS}/choices", headers=headers)).json()
        assert choices["company"]["taxMode"] == "PER_LINE"
        code = choices["taxCodes"][0]["id"]
        put = await client.put(
            SETTINGS, json={"taxCodeIds": {"8.50": code}, "defaultTaxCodeId": code}, headers=headers
        )
        assert put.status_code == 200, put.text
        assert (await client.get(SETTINGS, headers=headers)).json()["settings"]["taxCodeIds"] == {
            "8.5": code
        }
        bad = await client.put(SETTINGS, json={"taxCodeIds": {"twenty": code}}, headers=headers)
        assert bad.status_code == 422
