"""Changes by "a person" through the control API: edits, deletes, voids, customer merges."""

from __future__ import annotations

from datetime import timedelta

import httpx

from qbo_emulator import clock
from support import SEED_REALM, Qbo, body

PERSON = f"/_emulator/realms/{SEED_REALM}/person"


async def _cdc(qbo: Qbo, entities: str, since: str) -> list[dict]:
    response = await qbo.get("cdc", entities=entities, changedSince=since)
    assert response.status_code == 200, response.text
    groups: list[dict] = body(response)["CDCResponse"][0]["QueryResponse"]
    return groups


async def test_edit_changes_fields_without_a_sync_token(qbo: Qbo, http: httpx.AsyncClient) -> None:
    customer = await qbo.customer("Edited")
    invoice = await qbo.invoice(customer["Id"], "50.00")
    edited = await http.post(
        f"{PERSON}/Invoice/{invoice['Id']}/edit", json={"fields": {"PrivateNote": "by hand"}}
    )
    assert edited.status_code == 200, edited.text
    read = body(await qbo.get(f"invoice/{invoice['Id']}"))["Invoice"]
    assert (read["PrivateNote"], read["SyncToken"]) == ("by hand", "1")


async def test_edit_is_checked_as_an_api_update(qbo: Qbo, http: httpx.AsyncClient) -> None:
    customer = await qbo.customer("Checked")
    refused = await http.post(
        f"{PERSON}/Customer/{customer['Id']}/edit", json={"fields": {"NoSuchField": 1}}
    )
    assert refused.status_code == 400
    assert body(refused)["Fault"]["Error"][0]["code"] == "2010"


async def test_delete_and_void_show_in_cdc(qbo: Qbo, http: httpx.AsyncClient) -> None:
    since = (clock.now() - timedelta(seconds=1)).isoformat()
    customer = await qbo.customer("Person")
    deleted = await qbo.invoice(customer["Id"], "10.00")
    voided = await qbo.invoice(customer["Id"], "20.00")
    assert (await http.post(f"{PERSON}/Invoice/{deleted['Id']}/delete")).status_code == 200
    assert (await http.post(f"{PERSON}/Invoice/{voided['Id']}/void")).status_code == 200
    assert (await qbo.get(f"invoice/{deleted['Id']}")).status_code == 400
    read = body(await qbo.get(f"invoice/{voided['Id']}"))["Invoice"]
    assert read["Balance"] == 0
    [invoices] = await _cdc(qbo, "Invoice", since)
    assert [(row["Id"], row.get("status")) for row in invoices["Invoice"]] == [
        (voided["Id"], None),
        (deleted["Id"], "Deleted"),
    ]


async def test_deleting_a_customer_makes_it_inactive(qbo: Qbo, http: httpx.AsyncClient) -> None:
    customer = await qbo.customer("Gone Inc")
    assert (await http.post(f"{PERSON}/Customer/{customer['Id']}/delete")).status_code == 200
    read = body(await qbo.get(f"customer/{customer['Id']}"))["Customer"]
    assert read["Active"] is False


async def test_merge_moves_transactions_and_removes_the_merged_customer(
    qbo: Qbo, http: httpx.AsyncClient
) -> None:
    away = await qbo.customer("Acme Corp")
    survivor = await qbo.customer("ACME Corporation")
    invoice = await qbo.invoice(away["Id"], "75.00")
    merged = await http.post(
        f"{PERSON}/customers/merge",
        json={"merged_away_id": away["Id"], "surviving_id": survivor["Id"]},
    )
    assert merged.status_code == 200, merged.text
    moved = body(await qbo.get(f"invoice/{invoice['Id']}"))["Invoice"]
    assert moved["CustomerRef"]["value"] == survivor["Id"]
    assert (await qbo.get(f"customer/{away['Id']}")).status_code == 400
    balance = body(await qbo.get(f"customer/{survivor['Id']}"))["Customer"]["Balance"]
    assert balance == 75


async def test_merge_needs_two_live_customers(qbo: Qbo, http: httpx.AsyncClient) -> None:
    only = await qbo.customer("Alone")
    same = await http.post(
        f"{PERSON}/customers/merge", json={"merged_away_id": only["Id"], "surviving_id": only["Id"]}
    )
    assert same.status_code == 409
    missing = await http.post(
        f"{PERSON}/customers/merge", json={"merged_away_id": "999", "surviving_id": only["Id"]}
    )
    assert missing.status_code == 404
