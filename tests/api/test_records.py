"""GET /records: each record's latest attempt and its sync state, filtered and searched."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.config import SchedulerSettings
from qbsync.scheduler.models import PendingWork, RealmLease
from qbsync.sync.models import Mapping, SyncLog
from tests.tokens import auth_headers, make_jwt

REALM = "9130000000000001"


async def _attempt(
    session: AsyncSession, org: int, kind: str, aforo_id: str, status: str, **fields: object
) -> None:
    session.add(
        SyncLog(
            organization_id=org,
            realm_id=REALM,
            entity_type=kind,
            aforo_id=aforo_id,
            action=fields.pop("action", "CREATE"),
            status=status,
            trigger="EVENT",
            **fields,
        )
    )
    await session.flush()


async def _seed(sessionmaker: async_sessionmaker[AsyncSession], org: int) -> None:
    async with sessionmaker.begin() as session:
        # Synced after a failure: the latest attempt decides.
        await _attempt(session, org, "CUSTOMER", "CUST-1", "FAILED", error_code="6240")
        await _attempt(session, org, "CUSTOMER", "CUST-1", "SUCCESS", quickbooks_id="58")
        # Failing now, after a success.
        await _attempt(session, org, "INVOICE", "invoice-101", "SUCCESS", quickbooks_id="145")
        await _attempt(
            session,
            org,
            "INVOICE",
            "invoice-101",
            "FAILED",
            error_code="6000",
            error_category="PERMANENT",
            error_message="Business Validation Error — fix it",
        )
        await _attempt(
            session, org, "PAYMENT", "payment-PAY-9", "RETRYING", error_code="quickbooks_throttled"
        )
        # Unchanged since its last write: skipped, but synced (it has a mapping).
        await _attempt(session, org, "CUSTOMER", "CUST-2", "SKIPPED", action="NONE")
        # Skipped because not connected, never written.
        await _attempt(session, org, "CUSTOMER", "CUST-3", "SKIPPED", action="SKIP")
        # An operator's replay is not an attempt at the record.
        await _attempt(session, org, "CUSTOMER", "CUST-3", "SUCCESS", action="REPLAY")
        session.add(
            Mapping(
                organization_id=org,
                realm_id=REALM,
                entity_type="CUSTOMER",
                aforo_id="CUST-2",
                quickbooks_id="77",
            )
        )


async def _records(client: httpx.AsyncClient, org: int, **params: str) -> list[dict[str, object]]:
    response = await client.get("/api/quickbooks/records", params=params, headers=auth_headers(org))
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_each_record_has_the_state_of_its_latest_attempt(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
) -> None:
    await _seed(sessionmaker, org_id)
    items = await _records(client, org_id)
    states = {item["aforoId"]: (item["state"], item["quickbooksId"]) for item in items}
    assert states == {
        "CUST-1": ("SYNCED", "58"),
        "invoice-101": ("FAILED", None),
        "payment-PAY-9": ("PENDING", None),
        "CUST-2": ("SYNCED", "77"),
        "CUST-3": ("SKIPPED", None),
    }
    assert items[0]["aforoId"] == "CUST-3"  # most recent first
    failed = next(item for item in items if item["aforoId"] == "invoice-101")
    assert failed["errorCategory"] == "PERMANENT"
    assert failed["errorMessage"] == "Business Validation Error — fix it"


async def test_records_filter_by_state_kind_and_search(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
) -> None:
    await _seed(sessionmaker, org_id)

    async def ids(**params: str) -> set[object]:
        return {item["aforoId"] for item in await _records(client, org_id, **params)}

    assert await ids(state="synced") == {"CUST-1", "CUST-2"}
    assert await ids(state="SKIPPED") == {"CUST-3"}
    assert await ids(state="failed") == {"invoice-101"}
    assert await ids(entityType="payment") == {"payment-PAY-9"}
    assert await ids(q="pay-9") == {"payment-PAY-9"}
    assert await ids(q="77") == {"CUST-2"}  # the QuickBooks id of its mapping
    assert await ids(q="%") == set()  # a wildcard is a character, not a pattern
    assert await ids(entityType="customer", state="synced", q="cust-1") == {"CUST-1"}


async def test_records_are_the_callers_organization_only(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession], org_id: int
) -> None:
    await _seed(sessionmaker, org_id)
    assert await _records(client, org_id + 1) == []
    refused = await client.get(
        "/api/quickbooks/records",
        headers={**auth_headers(org_id + 1), "X-Organization-Id": str(org_id)},
    )
    assert refused.status_code == 403


async def test_records_refuse_unknown_states_and_kinds(
    client: httpx.AsyncClient, org_id: int
) -> None:
    for params in ({"state": "LOST"}, {"entityType": "ITEM"}):
        response = await client.get(
            "/api/quickbooks/records", params=params, headers=auth_headers(org_id)
        )
        assert response.status_code == 422, params


async def test_me_names_the_tokens_organization_and_role(client: httpx.AsyncClient) -> None:
    tenant = await client.get(
        "/api/quickbooks/me", headers={"Authorization": f"Bearer {make_jwt(12)}"}
    )
    assert tenant.json() == {"organizationId": 12, "subject": "user@example.com", "operator": False}
    operator = await client.get(
        "/api/quickbooks/me",
        headers={"Authorization": f"Bearer {make_jwt(None, roles=['QBSYNC_OPERATOR'])}"},
    )
    assert operator.json()["operator"] is True
    assert operator.json()["organizationId"] is None


async def test_a_forced_resync_writes_an_unchanged_record_again(
    client: httpx.AsyncClient, org, aforo, emulator_control
) -> None:
    customer = await aforo.customer(customer_name="Initech")
    headers = auth_headers(org.organization_id)
    sync = "/api/quickbooks/sync/customer"
    created = await client.post(sync, params={"customerId": customer.customer_id}, headers=headers)
    assert created.json()["action"] == "CREATE"
    unchanged = await client.post(
        sync, params={"customerId": customer.customer_id}, headers=headers
    )
    assert unchanged.json()["action"] == "SKIP"
    [before] = await emulator_control.live(org.realm_id, "Customer")

    forced = await client.post(
        f"/api/quickbooks/records/customer/CUST-{customer.customer_id}/resync", headers=headers
    )
    assert forced.status_code == 200, forced.text
    assert forced.json()["action"] == "UPDATE"
    assert forced.json()["attempt"]["status"] == "SUCCESS"
    [after] = await emulator_control.live(org.realm_id, "Customer")
    assert (after.id, int(after.sync_token)) == (before.id, int(before.sync_token) + 1)
    # Written once more, then unchanged again.
    again = await client.post(sync, params={"customerId": customer.customer_id}, headers=headers)
    assert again.json()["action"] == "SKIP"


async def test_a_forced_resync_waits_its_company_turn_like_any_sync(
    client: httpx.AsyncClient,
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
    org,
    aforo,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another instance holds the company (its lease and limits): the resync is queued at the
    top priority for it, never written past its pacing; the caller gets the work's id."""
    customer = await aforo.customer(customer_name="Globex")
    headers = auth_headers(org.organization_id)
    created = await client.post(
        "/api/quickbooks/sync/customer",
        params={"customerId": customer.customer_id},
        headers=headers,
    )
    assert created.json()["action"] == "CREATE"
    async with sessionmaker.begin() as session:
        await session.execute(
            update(RealmLease)
            .where(RealmLease.lane == org.realm_id)
            .values(holder="another-instance", lease_until=func.now() + timedelta(minutes=5))
        )
    scheduling = app.state.resources.scheduling
    monkeypatch.setattr(scheduling, "settings", SchedulerSettings(manual_wait_s=0.3))

    forced = await client.post(
        f"/api/quickbooks/records/customer/CUST-{customer.customer_id}/resync", headers=headers
    )
    assert forced.status_code == 202, forced.text
    async with sessionmaker() as session:
        work = await session.get(PendingWork, forced.json()["workId"])
    assert work is not None
    assert (work.aforo_id, work.state, work.priority) == (
        f"CUST-{customer.customer_id}",
        "PENDING",
        0,
    )


async def test_a_forced_resync_refuses_what_it_cannot_name(
    client: httpx.AsyncClient, org_id: int
) -> None:
    headers = auth_headers(org_id)
    for path in ("item/ITEM-1", "customer/CUST-abc"):
        response = await client.post(f"/api/quickbooks/records/{path}/resync", headers=headers)
        assert response.status_code == 422, path
