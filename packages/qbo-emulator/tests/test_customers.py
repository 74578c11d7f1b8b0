"""Customer: create, SyncToken, sparse/full update, DisplayName rules, deactivation."""

from __future__ import annotations

import pytest

from qbo_emulator.control import EmulatorControl
from support import SEED_REALM, Qbo, body, fault_code


class TestCreate:
    async def test_defaults_and_envelope(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Doe5, Jane")
        assert customer["Id"].isdigit()
        assert customer["SyncToken"] == "0"
        assert customer["DisplayName"] == customer["FullyQualifiedName"] == "Doe5, Jane"
        assert customer["PrintOnCheckName"] == "Doe5, Jane"
        assert customer["Active"] is True
        assert customer["Balance"] == 0
        assert customer["domain"] == "QBO"
        assert customer["sparse"] is False
        assert customer["CurrencyRef"] == {"value": "USD", "name": "United States Dollar"}

    async def test_ids_follow_a_sequence(self, qbo: Qbo) -> None:
        first = await qbo.customer("A")
        second = await qbo.customer("B")
        assert int(second["Id"]) == int(first["Id"]) + 1

    async def test_display_name_built_from_name_parts(self, qbo: Qbo) -> None:
        customer = await qbo.create("Customer", {"GivenName": "Ada", "FamilyName": "Lovelace"})
        assert customer["DisplayName"] == "Ada Lovelace"

    async def test_no_name_at_all_is_6080(self, qbo: Qbo) -> None:
        assert fault_code(await qbo.post("customer", {"CompanyName": "x"})) == "6080"


class TestDisplayNameRules:
    async def test_duplicate_is_6240_case_and_space_insensitive(self, qbo: Qbo) -> None:
        await qbo.customer("Acme Corp")
        response = await qbo.post("customer", {"DisplayName": "  acme CORP "})
        assert response.status_code == 400
        fault = body(response)["Fault"]
        assert fault["type"] == "ValidationFault"
        assert fault["Error"][0]["code"] == "6240"
        assert fault["Error"][0]["Message"] == "Duplicate Name Exists Error"

    async def test_inactive_customer_still_holds_its_name(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Sleeping Co")
        update = {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Active": False}
        assert (await qbo.post("customer", update)).status_code == 200
        assert fault_code(await qbo.post("customer", {"DisplayName": "Sleeping Co"})) == "6240"

    @pytest.mark.parametrize("name", ["Robertson & Associates", "emily platt"])
    async def test_vendor_and_employee_names_collide(self, qbo: Qbo, name: str) -> None:
        assert fault_code(await qbo.post("customer", {"DisplayName": name})) == "6240"

    @pytest.mark.parametrize("name", ["Parent:Child", "Tab\there", "New\nline"])
    async def test_colon_tab_newline_are_invalid(self, qbo: Qbo, name: str) -> None:
        response = await qbo.post("customer", {"DisplayName": name})
        assert response.status_code == 400
        error = body(response)["Fault"]["Error"][0]
        assert error["code"] == "2040"
        assert error["element"] == "DisplayName"

    async def test_longer_than_500_is_2050_with_element(self, qbo: Qbo) -> None:
        response = await qbo.post("customer", {"DisplayName": "x" * 501})
        error = body(response)["Fault"]["Error"][0]
        assert (error["code"], error["element"]) == ("2050", "DisplayName")
        assert "Max:500" in error["Detail"]
        assert (await qbo.post("customer", {"DisplayName": "y" * 500})).status_code == 200

    async def test_unknown_property_is_2010(self, qbo: Qbo) -> None:
        response = await qbo.post("customer", {"DisplayName": "Z", "FavouriteColour": "red"})
        assert fault_code(response) == "2010"
        assert "FavouriteColour" in body(response)["Fault"]["Error"][0]["Detail"]


class TestUpdate:
    async def test_full_update_bumps_sync_token_and_clears_omitted(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Doe2, Jane", Notes="keep?")
        payload = {
            "DisplayName": "Jack Moe",
            "PrimaryPhone": {"FreeFormNumber": "(415) 444-1234"},
            "Id": customer["Id"],
            "SyncToken": "0",
        }
        updated = body(await qbo.post("customer", payload))["Customer"]
        assert updated["SyncToken"] == "1"
        assert updated["DisplayName"] == "Jack Moe"
        assert "Notes" not in updated
        assert updated["MetaData"]["CreateTime"] == customer["MetaData"]["CreateTime"]

    async def test_sparse_update_keeps_other_fields(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Sparse Co", Notes="kept")
        payload = {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "CompanyName": "Sparse"}
        updated = body(await qbo.post("customer", payload))["Customer"]
        assert updated["Notes"] == "kept"
        assert updated["CompanyName"] == "Sparse"
        assert updated["DisplayName"] == "Sparse Co"

    async def test_stale_sync_token_is_5010_and_changes_nothing(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Stale Co")
        first = {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "one"}
        assert (await qbo.post("customer", first)).status_code == 200
        second = {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "two"}
        response = await qbo.post("customer", second)
        assert response.status_code == 400
        assert fault_code(response) == "5010"
        current = body(await qbo.get(f"customer/{customer['Id']}"))["Customer"]
        assert (current["Notes"], current["SyncToken"]) == ("one", "1")

    async def test_renaming_onto_a_taken_name_is_6240(self, qbo: Qbo) -> None:
        await qbo.customer("Taken")
        other = await qbo.customer("Other")
        payload = {"Id": other["Id"], "SyncToken": "0", "sparse": True, "DisplayName": "taken"}
        assert fault_code(await qbo.post("customer", payload)) == "6240"

    async def test_unknown_id_is_610(self, qbo: Qbo) -> None:
        payload = {"Id": "4242", "SyncToken": "0", "sparse": True, "Notes": "x"}
        assert fault_code(await qbo.post("customer", payload)) == "610"


class TestDeactivate:
    async def test_open_balance_blocks_deactivation_with_6220(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Owes Money")
        await qbo.invoice(customer["Id"], "10.00")
        payload = {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Active": False}
        assert fault_code(await qbo.post("customer", payload)) == "6220"

    async def test_deactivated_customer_cannot_be_invoiced(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Gone")
        payload = {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Active": False}
        assert body(await qbo.post("customer", payload))["Customer"]["Active"] is False
        invoice = {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [
                {
                    "Amount": 1,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        }
        assert fault_code(await qbo.post("invoice", invoice)) == "610"

    async def test_customers_cannot_be_deleted(self, qbo: Qbo, control: EmulatorControl) -> None:
        customer = await qbo.customer("Permanent")
        response = await qbo.post(
            "customer", {"Id": customer["Id"], "SyncToken": "0"}, operation="delete"
        )
        assert fault_code(response) == "500"
        held = await control.entities(SEED_REALM, "Customer")
        assert [record.state for record in held] == ["active"]


class TestRead:
    async def test_read_by_id(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Readable")
        assert body(await qbo.get(f"customer/{customer['Id']}"))["Customer"] == customer

    async def test_non_numeric_id_is_2030(self, qbo: Qbo) -> None:
        response = await qbo.get("customer/1.5")
        error = body(response)["Fault"]["Error"][0]
        assert (error["code"], error["element"]) == ("2030", "Id")

    async def test_missing_is_610(self, qbo: Qbo) -> None:
        assert fault_code(await qbo.get("customer/999")) == "610"
