"""Refunds, credits and reversals read QuickBooks only where what qbsync holds cannot answer:
a redelivery of one already written reads nothing (docs/quickbooks-cost.md)."""

from __future__ import annotations

from decimal import Decimal

from qbsync.sync.models import SyncAction, SyncStatus

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
