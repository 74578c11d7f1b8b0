"""The Intuit webhook route: signed deliveries become low-priority pending work, once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from qbsync.reconcile.work import CHANGE_KIND
from qbsync.scheduler.models import Priority
from qbsync.sync import repository as sync_repository
from tests.reconcile.conftest import WEBHOOK, delivery, pending_of, post, signed


@pytest.mark.parametrize("fmt", ["cloudevents", "legacy"])
async def test_each_event_becomes_low_priority_work(client, sessionmaker, org, fmt) -> None:
    body = delivery(
        fmt, (org.realm_id, "Invoice", "145", "Delete"), (org.realm_id, "Customer", "7", "Update")
    )
    response = await post(client, body, fmt)
    assert response.status_code == 200
    assert response.json()["queued"] == 2
    work = await pending_of(sessionmaker, org.organization_id, kind=CHANGE_KIND)
    assert sorted((w.kind, w.aforo_id, w.priority, w.trigger) for w in work) == [
        (CHANGE_KIND, "Customer:7", Priority.BULK, "WEBHOOK"),
        (CHANGE_KIND, "Invoice:145", Priority.BULK, "WEBHOOK"),
    ]
    delete = next(w for w in work if w.aforo_id == "Invoice:145")
    assert delete.details is not None
    assert delete.details["operation"] == "Delete"


async def test_duplicated_and_replayed_deliveries_are_taken_once(client, sessionmaker, org) -> None:
    body = delivery("cloudevents", (org.realm_id, "Invoice", "145", "Delete"))
    first, again = await post(client, body), await post(client, body)
    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.json()["queued"], again.json()["queued"]) == (1, 0)
    assert again.json()["duplicates"] == 1
    assert len(await pending_of(sessionmaker, org.organization_id, kind=CHANGE_KIND)) == 1


async def test_forged_or_unsigned_deliveries_are_refused(client, sessionmaker, org) -> None:
    body = delivery("cloudevents", (org.realm_id, "Invoice", "145", "Delete"))
    forged = await client.post(WEBHOOK, content=body, headers=signed(body, token="guess"))
    unsigned = await client.post(WEBHOOK, content=body)
    assert (forged.status_code, unsigned.status_code) == (401, 401)
    assert await pending_of(sessionmaker, org.organization_id, kind=CHANGE_KIND) == []


async def test_a_well_signed_delivery_is_never_refused(client, sessionmaker, org) -> None:
    """Intuit retries a refused delivery whole: bad events are skipped, never a 400."""
    events = json.loads(delivery("cloudevents", (org.realm_id, "Invoice", "145", "Update")))
    events.append({"id": "x", "type": "qbo.invoice.updated.v1", "intuitentityid": "DROP TABLE"})
    for body in (json.dumps(events).encode(), b"not json at all", b"{}"):
        response = await post(client, body)
        assert response.status_code == 200, body
    assert [
        w.aforo_id for w in await pending_of(sessionmaker, org.organization_id, kind=CHANGE_KIND)
    ] == ["Invoice:145"]


async def test_a_realm_no_organization_owns_is_answered_and_dropped(client) -> None:
    body = delivery("legacy", ("999000111", "Invoice", "1", "Update"))
    response = await post(client, body, "legacy")
    assert response.status_code == 200
    assert response.json()["unowned"] == 1


async def test_echoes_of_qbsyncs_own_writes_create_no_work(client, sessionmaker, org) -> None:
    async with sessionmaker.begin() as session:
        await sync_repository.save_mapping(
            session,
            organization_id=org.organization_id,
            realm_id=org.realm_id,
            entity_type="INVOICE",
            aforo_id="invoice-1",
            quickbooks_id="145",
            sync_token="0",
            payload_hash="h",
        )
    # The create and the update qbsync itself made, reported just before the mapping's time.
    body = delivery("cloudevents", (org.realm_id, "Invoice", "145", "Create"))
    echo = await post(client, body)
    assert echo.json()["ownWrites"] == 1
    assert await pending_of(sessionmaker, org.organization_id, kind=CHANGE_KIND) == []


async def test_an_old_delivery_replayed_takes_nothing(client, sessionmaker, org) -> None:
    """Receipts are kept 30 days; an event older than that is refused as stale (CDC covered
    it), so a delivery recorded long ago and sent again applies nothing."""
    old = datetime.now(UTC) - timedelta(days=45)
    body = delivery("legacy", (org.realm_id, "Invoice", "145", "Delete"), at=old)
    response = await post(client, body, "legacy")
    assert response.status_code == 200
    assert (response.json()["stale"], response.json()["queued"]) == (1, 0)
    assert await pending_of(sessionmaker, org.organization_id, kind=CHANGE_KIND) == []
