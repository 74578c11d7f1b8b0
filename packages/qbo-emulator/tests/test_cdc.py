"""CDC: ``GET /cdc`` answers what changed since a moment, as QBO shapes it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from qbo_emulator import clock
from qbo_emulator.cdc import MAX_OBJECTS
from support import SEED_REALM, Qbo, body, fault_code
from test_conformance import assert_conforms, recorded


def _since(delta: timedelta = timedelta(seconds=1)) -> str:
    return (clock.now() - delta).isoformat()


async def _cdc(qbo: Qbo, entities: str, since: str) -> Any:
    response = await qbo.get("cdc", entities=entities, changedSince=since)
    assert response.status_code == 200, response.text
    return body(response)["CDCResponse"][0]["QueryResponse"]


async def test_answer_has_the_recorded_shape(qbo: Qbo) -> None:
    [(_, expected)] = recorded("cdc_basic")
    since = _since()
    customer = await qbo.customer("Paulsen Medical Supplies")
    line = {
        "Description": "Custom Design",
        "Amount": "300.00",
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "UnitPrice": 75, "Qty": 4},
    }
    invoice = await qbo.create(
        "Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line]}
    )
    response = await qbo.get("cdc", entities="invoice", changedSince=since)
    actual = body(response)
    assert_conforms(expected, actual, only={"time"})
    [[expected_group]] = [part["QueryResponse"] for part in expected["CDCResponse"]]
    [[group]] = [part["QueryResponse"] for part in actual["CDCResponse"]]
    assert set(actual) == set(expected)
    assert_conforms({k: v for k, v in expected_group.items() if k != "Estimate"}, group)
    assert (group["startPosition"], group["maxResults"]) == (1, 1)
    # The recording is of Estimates; the fields transactions share must look the same.
    estimate = expected_group["Estimate"][0]
    shared = {"domain", "sparse", "Id", "SyncToken", "MetaData", "DocNumber", "TxnDate"}
    shared |= {"CurrencyRef", "Line", "CustomerRef", "TotalAmt", "BillEmail"}
    assert_conforms(estimate, group["Invoice"][0], only=shared & set(group["Invoice"][0]))
    assert group["Invoice"][0]["Id"] == invoice["Id"]


async def test_only_changes_since_oldest_first_deleted_last(qbo: Qbo) -> None:
    before = await qbo.customer("Before")
    since = _since(timedelta(0))
    first = await qbo.invoice(before["Id"], "10.00")
    second = await qbo.invoice(before["Id"], "20.00")
    gone = await qbo.invoice(before["Id"], "30.00")
    deleted = await qbo.post("invoice", {"Id": gone["Id"], "SyncToken": "0"}, operation="delete")
    assert deleted.status_code == 200
    update = {"Id": first["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "edited"}
    assert (await qbo.post("invoice", update)).status_code == 200

    invoices, customers = await _cdc(qbo, "Invoice,Customer", since)
    ids = [row["Id"] for row in invoices["Invoice"]]
    assert ids == [second["Id"], first["Id"], gone["Id"]]
    assert invoices["Invoice"][-1] == {
        "domain": "QBO",
        "status": "Deleted",
        "Id": gone["Id"],
        "MetaData": invoices["Invoice"][-1]["MetaData"],
    }
    assert invoices["Invoice"][1]["PrivateNote"] == "edited"
    # The customer changed before changedSince; its invoices changing does not list it.
    assert customers == {}


async def test_nothing_changed_gives_an_empty_group(qbo: Qbo) -> None:
    await qbo.customer("Old")
    assert await _cdc(qbo, "Customer", (clock.now() + timedelta(seconds=5)).isoformat()) == [{}]


async def test_at_most_1000_objects_oldest_first(qbo: Qbo, emulator_app: FastAPI) -> None:
    since = _since()
    template = await qbo.customer("Template")
    realm = emulator_app.state.emulator.realms[SEED_REALM]
    body_of = realm.get("Customer", template["Id"]).body
    for index in range(MAX_OBJECTS + 5):
        realm.add("Customer", {**body_of, "DisplayName": f"Bulk {index}"})
    [customers] = await _cdc(qbo, "Customer", since)
    assert customers["maxResults"] == len(customers["Customer"]) == MAX_OBJECTS
    assert customers["Customer"][0]["Id"] == template["Id"]


async def test_changed_since_older_than_30_days_is_refused(qbo: Qbo) -> None:
    response = await qbo.get("cdc", entities="Customer", changedSince=_since(timedelta(days=31)))
    assert response.status_code == 400
    assert fault_code(response) == "500"
    assert "older than fixed days" in response.text
    within = await qbo.get("cdc", entities="Customer", changedSince=_since(timedelta(days=29)))
    assert within.status_code == 200


async def test_parameters_are_required_and_entities_known(qbo: Qbo) -> None:
    missing = await qbo.get("cdc", changedSince=_since())
    assert (missing.status_code, fault_code(missing)) == (400, "2020")
    no_since = await qbo.get("cdc", entities="Customer")
    assert (no_since.status_code, fault_code(no_since)) == (400, "2020")
    unknown = await qbo.get("cdc", entities="Customer,Spaceship", changedSince=_since())
    assert (unknown.status_code, fault_code(unknown)) == (400, "500")


async def test_a_bare_date_is_read_in_the_company_calendar(qbo: Qbo) -> None:
    customer = await qbo.customer("Dated")
    today = clock.company_today().isoformat()
    [customers] = await _cdc(qbo, "Customer", today)
    assert customer["Id"] in [row["Id"] for row in customers["Customer"]]
