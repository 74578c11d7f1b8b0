"""Webhooks: signed deliveries in both formats to a receiver on 127.0.0.1, with knobs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from qbo_emulator.control import EmulatorControl
from qbo_emulator.server import serve_in_thread
from qbo_emulator.webhooks.subscription import Subscription
from support import SEED_REALM, Qbo

TOKEN = "verifier-token-1"
PERSON = f"/_emulator/realms/{SEED_REALM}/person"


@dataclass
class Receiver:
    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    # Status codes to answer, in order; then 200.
    answers: list[int] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    app = FastAPI()
    state = Receiver(url="")

    @app.post("/hooks")
    async def hooks(request: Request) -> Response:
        state.received.append((dict(request.headers), await request.body()))
        return Response(status_code=state.answers.pop(0) if state.answers else 200)

    with serve_in_thread(app) as base_url:
        state.url = f"{base_url}/hooks"
        yield state


async def _subscribe(http: httpx.AsyncClient, receiver: Receiver, **knobs: Any) -> None:
    settings = {"url": receiver.url, "verifier_token": TOKEN, "batch_window_s": 0.05, **knobs}
    response = await http.put("/_emulator/webhooks/app", json=settings)
    assert response.status_code == 200, response.text


async def _drain(http: httpx.AsyncClient) -> dict[str, Any]:
    drained = await http.post("/_emulator/webhooks/app/drain")
    assert drained.json()["idle"] is True
    log: dict[str, Any] = (await http.get("/_emulator/webhooks/app/deliveries")).json()
    return log


def _signed(headers: dict[str, str], raw: bytes) -> bool:
    expected = base64.b64encode(hmac.new(TOKEN.encode(), raw, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(headers["intuit-signature"], expected)


async def test_cloudevents_delivery_is_signed_and_typed(
    qbo: Qbo, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    await _subscribe(http, receiver)
    customer = await qbo.customer("Hooked")
    invoice = await qbo.invoice(customer["Id"], "12.00")
    await http.post(f"{PERSON}/Invoice/{invoice['Id']}/void")
    await _drain(http)
    events = []
    for headers, raw in receiver.received:
        assert headers["content-type"] == "application/cloudevents+json"
        assert _signed(headers, raw)
        events += json.loads(raw)
    assert [(e["type"], e["intuitentityid"]) for e in events] == [
        ("qbo.customer.created.v1", customer["Id"]),
        ("qbo.invoice.created.v1", invoice["Id"]),
        ("qbo.invoice.voided.v1", invoice["Id"]),
    ]
    first = events[0]
    assert first["specversion"] == "1.0"
    assert first["intuitaccountid"] == SEED_REALM
    assert first["datacontenttype"] == "application/json"
    assert first["time"].endswith("Z")
    assert len({e["id"] for e in events}) == 3


async def test_legacy_format_groups_by_realm_and_reports_merges(
    qbo: Qbo, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    await _subscribe(http, receiver, format="legacy")
    away = await qbo.customer("Old Name")
    survivor = await qbo.customer("New Name")
    merged = await http.post(
        f"{PERSON}/customers/merge",
        json={"merged_away_id": away["Id"], "surviving_id": survivor["Id"]},
    )
    assert merged.status_code == 200
    await _drain(http)
    entities = []
    for headers, raw in receiver.received:
        assert headers["content-type"] == "application/json"
        assert _signed(headers, raw)
        [notification] = json.loads(raw)["eventNotifications"]
        assert notification["realmId"] == SEED_REALM
        entities += notification["dataChangeEvent"]["entities"]
    assert [(e["name"], e["id"], e["operation"]) for e in entities] == [
        ("Customer", away["Id"], "Create"),
        ("Customer", survivor["Id"], "Create"),
        ("Customer", survivor["Id"], "Merge"),
    ]
    assert entities[-1]["deletedId"] == away["Id"]
    assert set(entities[0]) == {"name", "id", "operation", "lastUpdated"}


async def test_batches_hold_at_most_100_events_over_realms(
    qbo: Qbo, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    await _subscribe(http, receiver, batch_window_s=0.5)
    items = [
        {"bId": str(n), "operation": "create", "Customer": {"DisplayName": f"Batch {n}"}}
        for n in range(30)
    ]
    for _ in range(4):
        for item in items:
            item["Customer"]["DisplayName"] += "x"
        assert (await qbo.post("batch", {"BatchItemRequest": items})).status_code == 200
    other = "9130357766900002"
    assert (await http.post("/_emulator/realms", json={"realm_id": other})).status_code == 201
    edit = {"fields": {"Description": "edited by hand"}}
    edited = await http.post(f"/_emulator/realms/{other}/person/Item/1/edit", json=edit)
    assert edited.status_code == 200, edited.text
    log = await _drain(http)
    deliveries = [json.loads(raw) for _, raw in receiver.received]
    assert [len(events) for events in deliveries] == [100, 21]
    assert {e["intuitaccountid"] for e in deliveries[1]} == {SEED_REALM, other}
    assert all(d["outcome"] == "delivered" for d in log["deliveries"])


async def test_failed_deliveries_are_retried(
    qbo: Qbo, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.answers = [500, 503]
    await _subscribe(http, receiver, retry_delay_s=0.01)
    await qbo.customer("Retried")
    log = await _drain(http)
    assert [d["outcome"] for d in log["deliveries"]] == ["failed", "failed", "delivered"]
    assert len({raw for _, raw in receiver.received}) == 1


async def test_knobs_lose_and_duplicate_deliveries(
    qbo: Qbo, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    await _subscribe(http, receiver, loss_rate=1.0)
    await qbo.customer("Lost")
    log = await _drain(http)
    assert [d["outcome"] for d in log["deliveries"]] == ["lost"]
    assert receiver.received == []

    await _subscribe(http, receiver, duplicate_rate=1.0)
    await qbo.customer("Twice")
    log = await _drain(http)
    assert [d["duplicate"] for d in log["deliveries"]] == [False, True]
    assert len(receiver.received) == 2
    assert receiver.received[0][1] == receiver.received[1][1]


async def test_reorder_knob_shuffles_events_within_a_delivery(
    qbo: Qbo, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    await _subscribe(http, receiver, reorder_rate=1.0, random_seed=7, batch_window_s=0.3)
    made = [await qbo.customer(f"Order {n}") for n in range(8)]
    await _drain(http)
    [(_, raw)] = receiver.received
    delivered = [event["intuitentityid"] for event in json.loads(raw)]
    assert sorted(delivered) == sorted(c["Id"] for c in made)
    assert delivered != [c["Id"] for c in made]


async def test_subscriptions_filter_realms_and_deliver_only_locally(
    qbo: Qbo, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    outside = await http.put(
        "/_emulator/webhooks/app", json={"url": "http://example.com/h", "verifier_token": TOKEN}
    )
    assert outside.status_code == 422
    await _subscribe(http, receiver, realm_ids=["9130357766900002"])
    await qbo.customer("Not for this subscription")
    log = await _drain(http)
    assert log["deliveries"] == []
    assert receiver.received == []


async def test_delay_knob_holds_deliveries_back(
    qbo: Qbo, control: EmulatorControl, receiver: Receiver
) -> None:
    subscription = Subscription(url=receiver.url, verifier_token=TOKEN, delay_s=1.0)
    await control.subscribe_webhooks("app", subscription)
    customer = await qbo.customer("Later")
    assert await control.drain_webhooks("app", timeout_s=0.2) is False
    assert receiver.received == []
    assert await control.drain_webhooks("app", timeout_s=10) is True
    [delivery] = await control.webhook_deliveries("app")
    assert delivery.outcome == "delivered"
    [(_, raw)] = receiver.received
    assert json.loads(raw)[0]["intuitentityid"] == customer["Id"]


async def test_the_control_client_drives_a_person(qbo: Qbo, control: EmulatorControl) -> None:
    away = await qbo.customer("Client Away")
    survivor = await qbo.customer("Client Survivor")
    invoice = await qbo.invoice(away["Id"], "5.00")
    edited = await control.person_edit(SEED_REALM, "Invoice", invoice["Id"], {"PrivateNote": "x"})
    assert edited["PrivateNote"] == "x"
    voided = await control.person_void(SEED_REALM, "Invoice", invoice["Id"])
    assert voided["Balance"] == 0
    merged = await control.merge_customers(
        SEED_REALM, merged_away_id=away["Id"], surviving_id=survivor["Id"]
    )
    assert merged["Id"] == survivor["Id"]
    assert (await control.person_delete(SEED_REALM, "Customer", survivor["Id"]))["Active"] is False
    [held] = [r for r in await control.entities(SEED_REALM, "Customer") if r.id == away["Id"]]
    assert held.state == "deleted"
