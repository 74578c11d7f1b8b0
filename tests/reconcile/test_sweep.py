"""The CDC sweep catches the changes whose webhooks were lost."""

from __future__ import annotations

from sqlalchemy import select

from qbsync.reconcile.models import Mismatch, SweepCursor
from qbsync.reconcile.sweep import sweep_request
from qbsync.scheduler import repository as work_queue
from qbsync.sync.engine import sync
from qbsync.sync.models import Mapping
from tests.reconcile.conftest import drain


async def test_a_sweep_finds_what_a_person_changed_and_only_that(
    sessionmaker, resources, deps, org, aforo, emulator_control
) -> None:
    customer = await aforo.customer()
    edited, untouched = await aforo.invoice(customer), await aforo.invoice(customer)
    ids = {}
    async with sessionmaker.begin() as session:
        for invoice in (edited, untouched):
            result = await sync(
                session,
                deps,
                organization_id=org.organization_id,
                kind="invoice",
                aforo_id=invoice.id,
            )
            ids[invoice.id] = result.quickbooks_id
    # No webhook arrives for these (Intuit lost them).
    await emulator_control.person_edit(
        org.realm_id, "Invoice", ids[edited.id], {"DueDate": "2027-02-28"}
    )
    token = (await emulator_control.issue_tokens(org.realm_id)).access_token
    await emulator_control.http.post(
        f"{emulator_control.base_url}/sandbox/v3/company/{org.realm_id}/customer",
        json={"DisplayName": "Entered By Hand Ltd"},
        headers={"Authorization": f"Bearer {token}"},
    )
    async with sessionmaker.begin() as session:
        await work_queue.enqueue(
            session, sweep_request(org.organization_id, org.realm_id, max_attempts=2)
        )
    await drain(resources, sessionmaker, org.organization_id)
    async with sessionmaker() as session:
        found = sorted(
            (m.kind, m.aforo_id or m.quickbooks_value)
            for m in await session.scalars(
                select(Mismatch).where(Mismatch.organization_id == org.organization_id)
            )
        )
        cursor = await session.get(SweepCursor, (org.organization_id, org.realm_id))
    assert found == [
        ("DATES", f"invoice-{edited.id}"),
        ("UNKNOWN_TO_AFORO", "Entered By Hand Ltd"),
    ]
    assert cursor is not None
    assert cursor.last_changes >= 2


async def test_a_merge_whose_webhook_was_lost_is_followed_from_the_invoices(
    sessionmaker, resources, deps, org, aforo, emulator_control
) -> None:
    customer = await aforo.customer()
    invoice = await aforo.invoice(customer)
    async with sessionmaker.begin() as session:
        await sync(
            session, deps, organization_id=org.organization_id, kind="invoice", aforo_id=invoice.id
        )
        mapped = await session.scalar(
            select(Mapping.quickbooks_id).where(
                Mapping.organization_id == org.organization_id,
                Mapping.aforo_id == f"CUST-{customer.customer_id}",
            )
        )
    token = (await emulator_control.issue_tokens(org.realm_id)).access_token
    survivor = await emulator_control.http.post(
        f"{emulator_control.base_url}/sandbox/v3/company/{org.realm_id}/customer",
        json={"DisplayName": "Acme Holdings"},
        headers={"Authorization": f"Bearer {token}"},
    )
    survivor_id = survivor.json()["Customer"]["Id"]
    await emulator_control.merge_customers(
        org.realm_id, merged_away_id=mapped, surviving_id=survivor_id
    )
    async with sessionmaker.begin() as session:
        await work_queue.enqueue(
            session, sweep_request(org.organization_id, org.realm_id, max_attempts=2)
        )
    await drain(resources, sessionmaker, org.organization_id)
    async with sessionmaker() as session:
        now = await session.scalar(
            select(Mapping.quickbooks_id).where(
                Mapping.organization_id == org.organization_id,
                Mapping.aforo_id == f"CUST-{customer.customer_id}",
            )
        )
    assert now == survivor_id
