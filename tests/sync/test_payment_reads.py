"""Payments apply against the invoice as qbsync wrote it and learned it since (its snapshot),
not against a QuickBooks read: a billable read only when there is nothing local to go by, or
once when QuickBooks says what qbsync knew was out of date."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import delete, update

from qbsync.quickbooks.schemas import Ref
from qbsync.quickbooks.schemas.invoice import LinkedTxn
from qbsync.quickbooks.schemas.payment import Payment, PaymentLine
from qbsync.snapshots.models import RecordSnapshot
from qbsync.sync.models import SyncAction, SyncStatus
from tests.fixtures.sync import invoice_balance

D = Decimal


def _reads(requests: list[str]) -> list[str]:
    return [r for r in requests if r.startswith("GET") or r.endswith(" query")]


class TestFromWhatQbsyncWrote:
    async def test_a_payment_against_an_invoice_qbsync_wrote_reads_only_to_confirm_an_overpayment(
        self, aforo, org, sync_one, emulator_control, qbo_requests
    ) -> None:
        invoice = await aforo.invoice(await aforo.customer(), status="ISSUED")
        written = await sync_one("invoice", invoice.id)
        first, second = (
            await aforo.payment(invoice, "50.00"),
            await aforo.payment(invoice, "200.00"),
        )

        start = await qbo_requests.mark()
        paid = await sync_one("payment", first.id)
        rest = await sync_one("payment", second.id)

        assert [paid.action, rest.action] == [SyncAction.CREATE, SyncAction.CREATE]
        # The second pays more than the balance the first left (210 - 50): before leaving 40.00
        # unapplied, that balance is confirmed with one read.
        assert await qbo_requests.since(start) == ["POST payment", "GET invoice", "POST payment"]
        assert "40.00 left unapplied" in rest.message
        assert await invoice_balance(emulator_control, org, written.quickbooks_id) == D("0.00")

    async def test_an_update_derives_what_it_applied_from_its_last_write(
        self, aforo, stubs, org, sync_one, emulator_control, qbo_requests
    ) -> None:
        invoice = await aforo.invoice(await aforo.customer(), status="ISSUED")
        written = await sync_one("invoice", invoice.id)
        payment = await aforo.payment(invoice, "50.00")
        await sync_one("payment", payment.id)
        await stubs.put_payment(payment.model_copy(update={"amount": D("210.00")}))

        start = await qbo_requests.mark()
        updated = await sync_one("payment", payment.id)

        assert updated.action == SyncAction.UPDATE, updated.message
        assert _reads(await qbo_requests.since(start)) == []
        assert await invoice_balance(emulator_control, org, written.quickbooks_id) == D("0.00")

    async def test_a_voided_payment_gives_its_balance_back_locally(
        self, aforo, stubs, org, sync_one, emulator_control, qbo_requests
    ) -> None:
        invoice = await aforo.invoice(await aforo.customer(), status="ISSUED")
        written = await sync_one("invoice", invoice.id)
        failed = await aforo.payment(invoice, "210.00")
        await sync_one("payment", failed.id)
        await stubs.put_payment(failed.model_copy(update={"status": "FAILED"}))
        assert (await sync_one("payment", failed.id)).action == SyncAction.VOID
        again = await aforo.payment(invoice, "210.00")

        start = await qbo_requests.mark()
        paid = await sync_one("payment", again.id)

        assert paid.action == SyncAction.CREATE
        assert "unapplied" not in paid.message
        assert await qbo_requests.since(start) == ["POST payment"]
        assert await invoice_balance(emulator_control, org, written.quickbooks_id) == D("0.00")


class TestReadOnlyWhenNeeded:
    async def test_without_a_snapshot_the_invoice_is_read_once(
        self, aforo, org, sync_one, sessionmaker, emulator_control, qbo_requests
    ) -> None:
        invoice = await aforo.invoice(await aforo.customer(), status="ISSUED")
        written = await sync_one("invoice", invoice.id)
        # Synced before qbsync kept snapshots.
        async with sessionmaker.begin() as session:
            await session.execute(
                delete(RecordSnapshot).where(RecordSnapshot.realm_id == org.realm_id)
            )
        first, second = await aforo.payment(invoice, "60.00"), await aforo.payment(invoice, "10.00")

        start = await qbo_requests.mark()
        assert (await sync_one("payment", first.id)).action == SyncAction.CREATE
        assert (await sync_one("payment", second.id)).action == SyncAction.CREATE

        # Read for the first; the second goes by what the first left.
        assert await qbo_requests.since(start) == ["GET invoice", "POST payment", "POST payment"]
        assert await invoice_balance(emulator_control, org, written.quickbooks_id) == D("140.00")

    async def test_a_balance_gone_stale_is_read_once_and_the_payment_applied(
        self, aforo, org, sync_one, resources, emulator_control, qbo_requests, logs
    ) -> None:
        invoice = await aforo.invoice(await aforo.customer(), status="ISSUED")
        written = await sync_one("invoice", invoice.id)
        [customer] = await emulator_control.live(org.realm_id, "Customer")
        # Someone takes 100.00 in QuickBooks itself; no change notification has arrived.
        qbo = resources.quickbooks.client(
            organization_id=org.organization_id, realm_id=org.realm_id
        )
        await qbo.create(
            Payment(
                customer_ref=Ref(value=customer.id),
                total_amt=D("100.00"),
                line=[
                    PaymentLine(
                        amount=D("100.00"),
                        linked_txn=[LinkedTxn(txn_id=written.quickbooks_id, txn_type="Invoice")],
                    )
                ],
            ),
            request_id="taken-by-hand-in-quickbooks",
        )
        payment = await aforo.payment(invoice, "210.00")

        start = await qbo_requests.mark()
        result = await sync_one("payment", payment.id)

        assert result.status == SyncStatus.SUCCESS, result.message
        assert result.action == SyncAction.CREATE
        assert "out of date" in result.message
        assert "100.00 left unapplied" in result.message
        requests = await qbo_requests.since(start)
        assert requests == ["POST payment", "GET invoice", "POST payment"]
        assert await invoice_balance(emulator_control, org, written.quickbooks_id) == D("0.00")
        payments = await emulator_control.live(org.realm_id, "Payment")
        ours = [p for p in payments if D(str(p.body["TotalAmt"])) == D("210.00")]
        assert len(ours) == 1
        assert D(str(ours[0].body["UnappliedAmt"])) == D("100.00")
        assert [row.status for row in await logs("PAYMENT")] == [SyncStatus.SUCCESS]

    async def test_a_local_balance_too_low_is_confirmed_before_money_is_left_unapplied(
        self, aforo, org, sync_one, sessionmaker, emulator_control, qbo_requests
    ) -> None:
        invoice = await aforo.invoice(await aforo.customer(), status="ISSUED")
        written = await sync_one("invoice", invoice.id)
        # qbsync believes 100.00 already paid (a payment since removed in QuickBooks, say,
        # whose news has not come): its snapshot's balance is lower than the invoice's.
        async with sessionmaker.begin() as session:
            snapshot = await session.get(
                RecordSnapshot, (org.realm_id, "INVOICE", written.quickbooks_id)
            )
            assert snapshot is not None
            body = json.loads(snapshot.body)
            assert D(str(body["Balance"])) == D("210.00")
            body["Balance"] = "110.00"
            await session.execute(
                update(RecordSnapshot)
                .where(RecordSnapshot.quickbooks_id == written.quickbooks_id)
                .where(RecordSnapshot.realm_id == org.realm_id)
                .values(body=json.dumps(body))
            )
        payment = await aforo.payment(invoice, "210.00")

        start = await qbo_requests.mark()
        result = await sync_one("payment", payment.id)

        assert result.action == SyncAction.CREATE, result.message
        assert "unapplied" not in result.message
        assert await qbo_requests.since(start) == ["GET invoice", "POST payment"]
        assert await invoice_balance(emulator_control, org, written.quickbooks_id) == D("0.00")
