"""Refunds, credits and reversals read QuickBooks only where what qbsync holds cannot answer:
a redelivery of one already written reads nothing (docs/quickbooks-cost.md)."""

from __future__ import annotations

from decimal import Decimal

from qbsync.quickbooks.schemas.payment import Payment
from qbsync.sync.models import SyncAction, SyncStatus
from tests.fixtures.sync import invoice_balance

D = Decimal


class TestRefunds:
    async def test_a_redelivered_refund_makes_no_request_and_is_logged(
        self, aforo, sync_one, qbo_requests, logs
    ) -> None:
        invoice = await aforo.invoice(await aforo.customer(), status="ISSUED")
        refund = await aforo.refund(await aforo.payment(invoice, "210.00"), "25.50")
        created = await sync_one("refund", refund.id)
        assert created.action == SyncAction.CREATE, created.message

        start = await qbo_requests.mark()
        again = await sync_one("refund", refund.id)

        assert (again.status, again.action) == (SyncStatus.SKIPPED, SyncAction.SKIP)
        assert again.quickbooks_id == created.quickbooks_id
        assert await qbo_requests.since(start) == []
        rows = await logs("REFUND", f"refund-{refund.id}")
        assert [(row.status, row.action) for row in rows] == [
            (SyncStatus.SUCCESS, SyncAction.CREATE),
            (SyncStatus.SKIPPED, SyncAction.SKIP),
        ]

    async def test_a_new_refund_reads_only_the_payments_earlier_refunds(
        self, aforo, sync_one, qbo_requests
    ) -> None:
        invoice = await aforo.invoice(await aforo.customer(), status="ISSUED")
        payment = await aforo.payment(invoice, "210.00")
        await sync_one("payment", payment.id)
        refund = await aforo.refund(payment, "10.00")

        start = await qbo_requests.mark()
        created = await sync_one("refund", refund.id)

        assert created.action == SyncAction.CREATE, created.message
        # The payment (customer, account, currency) is known from qbsync's write of it.
        assert await qbo_requests.since(start) == ["POST query", "POST refundreceipt"]

    async def test_a_changed_refund_is_checked_against_the_others_again(
        self, aforo, stubs, sync_one
    ) -> None:
        invoice = await aforo.invoice(await aforo.customer(), status="ISSUED")
        payment = await aforo.payment(invoice, "30.00")
        first, second = await aforo.refund(payment, "20.00"), await aforo.refund(payment, "5.00")
        assert (await sync_one("refund", first.id)).action == SyncAction.CREATE
        assert (await sync_one("refund", second.id)).action == SyncAction.CREATE

        await stubs.put_refund(first.model_copy(update={"amount": D("25.01")}))
        grown = await sync_one("refund", first.id)

        assert grown.status == SyncStatus.FAILED
        assert "(25.00 of 30.00)" in grown.message


class TestCredits:
    async def test_a_credit_is_applied_from_its_write_and_a_redelivery_reads_nothing(
        self, aforo, org, sync_one, qbo_requests, emulator_control, logs
    ) -> None:
        customer = await aforo.customer()
        invoice = await aforo.invoice(customer, status="ISSUED")
        owed = await sync_one("invoice", invoice.id)
        note = await aforo.credit_note(customer, ["20.00"], invoice_id=invoice.id)

        start = await qbo_requests.mark()
        created = await sync_one("creditmemo", f"note-{note.id}")
        assert created.action == SyncAction.CREATE, created.message
        # What is left of the credit comes from the create's answer, not a read of it.
        assert await qbo_requests.since(start) == [
            "POST creditmemo",
            "POST query",
            "GET invoice",
            "POST payment",
        ]

        start = await qbo_requests.mark()
        again = await sync_one("creditmemo", f"note-{note.id}")

        assert (again.status, again.action) == (SyncStatus.SKIPPED, SyncAction.SKIP)
        assert await qbo_requests.since(start) == []
        assert await invoice_balance(emulator_control, org, owed.quickbooks_id) == D("190.00")
        rows = await logs("CREDITMEMO", f"credit-note-{note.id}")
        assert [row.status for row in rows] == [SyncStatus.SUCCESS, SyncStatus.SKIPPED]

    async def test_a_credit_written_but_not_applied_is_applied_by_the_next_attempt(
        self, aforo, org, sync_one, qbo_requests, emulator_control
    ) -> None:
        customer = await aforo.customer()
        invoice = await aforo.invoice(customer, status="ISSUED")
        owed = await sync_one("invoice", invoice.id)
        note = await aforo.credit_note(customer, ["20.00"], invoice_id=invoice.id)
        await emulator_control.queue_fault(
            "stale", realm_id=org.realm_id, method="POST", path_contains="/payment"
        )
        failed = await sync_one("creditmemo", f"note-{note.id}")
        assert failed.status == SyncStatus.FAILED
        assert len(await emulator_control.live(org.realm_id, "CreditMemo")) == 1
        assert await invoice_balance(emulator_control, org, owed.quickbooks_id) == D("210.00")

        start = await qbo_requests.mark()
        retried = await sync_one("creditmemo", f"note-{note.id}")

        assert retried.ok, retried.message
        assert "20.00 applied to invoice" in retried.message
        assert await qbo_requests.since(start) == [
            "GET creditmemo",
            "POST query",
            "GET invoice",
            "POST payment",
        ]
        assert await invoice_balance(emulator_control, org, owed.quickbooks_id) == D("190.00")
        start = await qbo_requests.mark()
        assert (await sync_one("creditmemo", f"note-{note.id}")).action == SyncAction.SKIP
        assert await qbo_requests.since(start) == []

    async def test_a_credit_nothing_uses_is_deleted_after_one_read(
        self, aforo, stubs, sync_one, qbo_requests, configure
    ) -> None:
        await configure(apply_credits="never")
        customer = await aforo.customer()
        note = await aforo.credit_note(customer, ["20.00"])
        assert (await sync_one("creditmemo", f"note-{note.id}")).action == SyncAction.CREATE
        await stubs.put_credit_note(note.model_copy(update={"status": "VOID"}))

        start = await qbo_requests.mark()
        deleted = await sync_one("creditmemo", f"note-{note.id}")

        assert deleted.action == SyncAction.VOID, deleted.message
        assert await qbo_requests.since(start) == ["GET creditmemo", "POST creditmemo"]


class TestReversals:
    async def test_a_payment_is_voided_from_qbsyncs_write_of_it(
        self, aforo, stubs, org, sync_one, qbo_requests, emulator_control
    ) -> None:
        invoice = await aforo.invoice(await aforo.customer(), status="ISSUED")
        owed = await sync_one("invoice", invoice.id)
        payment = await aforo.payment(invoice, "210.00")
        await sync_one("payment", payment.id)
        await stubs.put_payment(payment.model_copy(update={"status": "CHARGED_BACK"}))

        start = await qbo_requests.mark()
        voided = await sync_one("payment", payment.id)

        assert voided.action == SyncAction.VOID, voided.message
        assert await qbo_requests.since(start) == ["POST payment"]
        assert await invoice_balance(emulator_control, org, owed.quickbooks_id) == D("210.00")
        start = await qbo_requests.mark()
        assert (await sync_one("payment", payment.id)).action == SyncAction.SKIP
        assert await qbo_requests.since(start) == []

    async def test_a_payment_changed_in_quickbooks_is_read_then_voided(
        self, aforo, stubs, org, sync_one, qbo_requests, emulator_control, resources
    ) -> None:
        invoice = await aforo.invoice(await aforo.customer(), status="ISSUED")
        owed = await sync_one("invoice", invoice.id)
        payment = await aforo.payment(invoice, "210.00")
        paid = await sync_one("payment", payment.id)
        # Someone adds a note to it in QuickBooks: its SyncToken moves on.
        [held] = await emulator_control.live(org.realm_id, "Payment")
        qbo = resources.quickbooks.client(
            organization_id=org.organization_id, realm_id=org.realm_id
        )
        await qbo.update(
            Payment(id=held.id, sync_token=str(held.body["SyncToken"]), private_note="by hand"),
            request_id="edited-by-hand-in-quickbooks",
        )
        await stubs.put_payment(payment.model_copy(update={"status": "FAILED"}))

        start = await qbo_requests.mark()
        voided = await sync_one("payment", payment.id)

        assert voided.action == SyncAction.VOID, voided.message
        assert await qbo_requests.since(start) == ["POST payment", "GET payment", "POST payment"]
        [held] = await emulator_control.live(org.realm_id, "Payment")
        assert held.id == paid.quickbooks_id
        assert D(str(held.body["TotalAmt"])) == D("0")
        assert await invoice_balance(emulator_control, org, owed.quickbooks_id) == D("210.00")
