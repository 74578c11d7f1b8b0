"""What a change made by a person in QuickBooks does, from the webhook to the outcome."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update

from qbsync.connections.models import QuickBooksConnection
from qbsync.reconcile.models import Mismatch, RemoteRecord
from qbsync.sync.engine import sync
from qbsync.sync.models import Mapping, SyncLog
from tests.reconcile.conftest import delivery, drain, pending_of, post
from tests.tokens import make_jwt


async def _synced_invoice(sessionmaker, deps, org, aforo):
    customer = await aforo.customer()
    invoice = await aforo.invoice(customer)
    async with sessionmaker.begin() as session:
        result = await sync(
            session, deps, organization_id=org.organization_id, kind="invoice", aforo_id=invoice.id
        )
    assert result.quickbooks_id is not None, result.message
    return customer, invoice, result.quickbooks_id


async def _policy(sessionmaker, org, **policy) -> None:
    async with sessionmaker.begin() as session:
        await session.execute(
            update(QuickBooksConnection)
            .where(QuickBooksConnection.organization_id == org.organization_id)
            .values(settings=policy)
        )


async def _logs(sessionmaker, org, aforo_id):
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(SyncLog)
            .where(SyncLog.organization_id == org.organization_id, SyncLog.aforo_id == aforo_id)
            .order_by(SyncLog.id)
        )
        return list(rows)


async def _mismatches(sessionmaker, org):
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(Mismatch).where(Mismatch.organization_id == org.organization_id)
        )
        return sorted((m.kind, m.state, m.aforo_value, m.quickbooks_value) for m in rows)


class TestEdited:
    async def test_an_edit_against_aforos_truth_is_flagged_with_both_values(
        self, client, sessionmaker, resources, deps, org, aforo, emulator_control
    ) -> None:
        _, invoice, qbo_id = await _synced_invoice(sessionmaker, deps, org, aforo)
        await emulator_control.person_edit(
            org.realm_id, "Invoice", qbo_id, {"DueDate": "2027-01-31"}
        )
        await post(client, delivery("cloudevents", (org.realm_id, "Invoice", qbo_id, "Update")))
        await drain(resources, sessionmaker, org.organization_id)
        assert await _mismatches(sessionmaker, org) == [
            ("DATES", "OPEN", "2026-10-31 / 2026-11-30", "2026-10-31 / 2027-01-31")
        ]
        logs = await _logs(sessionmaker, org, f"invoice-{invoice.id}")
        assert [(log.action, log.status) for log in logs if log.trigger == "WEBHOOK"] == [
            ("NONE", "SUCCESS")
        ]

    async def test_with_the_repush_policy_aforos_version_is_written_again(
        self, client, sessionmaker, resources, deps, org, aforo, emulator_control
    ) -> None:
        await _policy(sessionmaker, org, on_edited_in_quickbooks="repush")
        _, invoice, qbo_id = await _synced_invoice(sessionmaker, deps, org, aforo)
        await emulator_control.person_edit(
            org.realm_id, "Invoice", qbo_id, {"DueDate": "2027-01-31"}
        )
        await post(client, delivery("cloudevents", (org.realm_id, "Invoice", qbo_id, "Update")))
        await drain(resources, sessionmaker, org.organization_id)
        invoices = await emulator_control.entities(org.realm_id, "Invoice")
        assert [i.body["DueDate"] for i in invoices if i.id == qbo_id] == ["2026-11-30"]
        # (a sweep the app's start-up upkeep queued may log its own look afterwards)
        logs = await _logs(sessionmaker, org, f"invoice-{invoice.id}")
        assert [(log.action, log.trigger) for log in logs][:3] == [
            ("CREATE", "MANUAL"),
            ("NONE", "WEBHOOK"),
            ("UPDATE", "WEBHOOK"),
        ]
        assert await _mismatches(sessionmaker, org) == []


class TestVoided:
    async def test_a_void_in_quickbooks_is_flagged_for_a_person(
        self, client, sessionmaker, resources, deps, org, aforo, emulator_control
    ) -> None:
        _, _, qbo_id = await _synced_invoice(sessionmaker, deps, org, aforo)
        await emulator_control.person_void(org.realm_id, "Invoice", qbo_id)
        await post(client, delivery("legacy", (org.realm_id, "Invoice", qbo_id, "Void")), "legacy")
        await drain(resources, sessionmaker, org.organization_id)
        assert await _mismatches(sessionmaker, org) == [("STATUS", "OPEN", "DRAFT", "VOIDED")]


class TestMerged:
    async def test_the_mapping_follows_the_surviving_customer(
        self, client, sessionmaker, resources, deps, org, aforo, emulator_control
    ) -> None:
        customer, _, _ = await _synced_invoice(sessionmaker, deps, org, aforo)
        survivor = await emulator_control.http.post(
            f"{emulator_control.base_url}/sandbox/v3/company/{org.realm_id}/customer",
            json={"DisplayName": "Survivor Ltd"},
            headers={
                "Authorization": f"Bearer {(await emulator_control.issue_tokens(org.realm_id)).access_token}"
            },
        )
        survivor_id = survivor.json()["Customer"]["Id"]
        async with sessionmaker() as session:
            mapped = await session.scalar(
                select(Mapping.quickbooks_id).where(
                    Mapping.organization_id == org.organization_id,
                    Mapping.aforo_id == f"CUST-{customer.customer_id}",
                )
            )
        await emulator_control.merge_customers(
            org.realm_id, merged_away_id=mapped, surviving_id=survivor_id
        )
        body = delivery(
            "cloudevents", (org.realm_id, "Customer", survivor_id, "Merge"), deleted_id=mapped
        )
        await post(client, body)
        await drain(resources, sessionmaker, org.organization_id)
        async with sessionmaker() as session:
            now = await session.scalar(
                select(Mapping.quickbooks_id).where(
                    Mapping.organization_id == org.organization_id,
                    Mapping.aforo_id == f"CUST-{customer.customer_id}",
                )
            )
            remote = await session.get(RemoteRecord, (org.realm_id, "CUSTOMER", mapped))
        assert now == survivor_id
        assert remote is not None
        assert (remote.status, remote.merged_into) == ("MERGED", survivor_id)


class TestPaid:
    async def test_a_payment_entered_in_quickbooks_moves_the_invoice_balance(
        self, client, sessionmaker, resources, deps, org, aforo, emulator_control
    ) -> None:
        _, _, qbo_id = await _synced_invoice(sessionmaker, deps, org, aforo)
        invoice = next(
            i.body
            for i in await emulator_control.entities(org.realm_id, "Invoice")
            if i.id == qbo_id
        )
        token = (await emulator_control.issue_tokens(org.realm_id)).access_token
        paid = await emulator_control.http.post(
            f"{emulator_control.base_url}/sandbox/v3/company/{org.realm_id}/payment",
            json={
                "CustomerRef": invoice["CustomerRef"],
                "TotalAmt": 60,
                "Line": [{"Amount": 60, "LinkedTxn": [{"TxnId": qbo_id, "TxnType": "Invoice"}]}],
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        payment_id = paid.json()["Payment"]["Id"]
        await post(client, delivery("cloudevents", (org.realm_id, "Payment", payment_id, "Create")))
        await drain(resources, sessionmaker, org.organization_id)
        async with sessionmaker() as session:
            remote = await session.get(RemoteRecord, (org.realm_id, "INVOICE", qbo_id))
        assert remote is not None
        assert remote.balance == Decimal("150.00")
        assert await pending_of(sessionmaker, org.organization_id) == []  # done, not parked
        # What the UI's invoice list shows follows, without a QuickBooks read per page view.
        listed = await client.get(
            "/api/quickbooks/invoices",
            headers={"Authorization": f"Bearer {make_jwt(org.organization_id)}"},
        )
        assert [(i["Id"], i["Balance"]) for i in listed.json()["invoices"]] == [(qbo_id, 150)]


class TestDeleted:
    async def test_a_forced_resync_creates_a_deleted_invoice_again(
        self, client, sessionmaker, deps, org, aforo, emulator_control
    ) -> None:
        """The bug a user hit: after the invoice was deleted in QuickBooks every sync said
        "unchanged since the last sync"; the force resync now creates it again."""
        _, invoice, qbo_id = await _synced_invoice(sessionmaker, deps, org, aforo)
        await emulator_control.person_delete(org.realm_id, "Invoice", qbo_id)
        response = await client.post(
            f"/api/quickbooks/records/INVOICE/invoice-{invoice.id}/resync",
            headers={"Authorization": f"Bearer {make_jwt(org.organization_id)}"},
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["action"] == "CREATE"
        assert answer["quickbooksId"] not in (None, qbo_id)
        live = [
            i.id
            for i in await emulator_control.entities(org.realm_id, "Invoice")
            if i.state == "active"
        ]
        assert live == [answer["quickbooksId"]]

    async def test_by_default_a_delete_heard_from_intuit_is_undone_and_logged(
        self, client, sessionmaker, resources, deps, org, aforo, emulator_control
    ) -> None:
        _, invoice, qbo_id = await _synced_invoice(sessionmaker, deps, org, aforo)
        await emulator_control.person_delete(org.realm_id, "Invoice", qbo_id)
        await post(client, delivery("cloudevents", (org.realm_id, "Invoice", qbo_id, "Delete")))
        await drain(resources, sessionmaker, org.organization_id)
        logs = await _logs(sessionmaker, org, f"invoice-{invoice.id}")
        assert [(log.action, log.trigger) for log in logs][:3] == [
            ("CREATE", "MANUAL"),
            ("NONE", "WEBHOOK"),
            ("CREATE", "WEBHOOK"),
        ]
        assert logs[2].quickbooks_id != qbo_id
        assert await _mismatches(sessionmaker, org) == []

    async def test_with_the_flag_policy_it_is_reported_with_the_recreate_repair(
        self, client, sessionmaker, resources, deps, org, aforo, emulator_control
    ) -> None:
        await _policy(sessionmaker, org, on_deleted_in_quickbooks="flag")
        _, invoice, qbo_id = await _synced_invoice(sessionmaker, deps, org, aforo)
        await emulator_control.person_delete(org.realm_id, "Invoice", qbo_id)
        await post(
            client, delivery("legacy", (org.realm_id, "Invoice", qbo_id, "Delete")), "legacy"
        )
        await drain(resources, sessionmaker, org.organization_id)
        assert await _mismatches(sessionmaker, org) == [
            ("MISSING_IN_QUICKBOOKS", "OPEN", f"invoice-{invoice.id}", None)
        ]
