"""Refunds -> RefundReceipt: partial and full, never more than is left, XSD-valid."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qbsync.aforo.refunds import AforoRefund
from qbsync.errors import InvalidInput
from qbsync.quickbooks.schemas import Ref
from qbsync.quickbooks.wire import entity_payload
from qbsync.sync.mappers.refunds import map_refund, refund_aforo_id, refundable
from tests.quickbooks.xsd import validation_errors

D = Decimal


def refund(amount: str, **fields: object) -> AforoRefund:
    return AforoRefund.model_validate(
        {
            "refundId": "re_1",
            "organizationId": 9,
            "paymentId": "PAY-7",
            "invoiceId": 42,
            "customerId": 7,
            "amount": D(amount),
            "refundedAt": "2026-11-20T23:30:00-05:00",
            "reference": "re_3Pxyz",
            **fields,
        }
    )


class TestRefundable:
    @pytest.mark.parametrize(
        ("amount", "paid", "before", "ok"),
        [
            ("10.00", "100.00", "0", D("10.00")),
            ("90.00", "100.00", "10.00", D("90.00")),
            ("0.005", "100.00", "0", D("0.01")),
        ],
    )
    def test_within_what_is_left(self, amount, paid, before, ok) -> None:
        assert refundable(D(amount), paid=D(paid), refunded_before=D(before)) == ok

    @pytest.mark.parametrize(
        ("amount", "paid", "before", "says"),
        [
            ("0", "100.00", "0", "positive"),
            ("-1", "100.00", "0", "positive"),
            ("100.01", "100.00", "0", "more than what is left"),
            ("20.00", "100.00", "90.00", "(10.00 of 100.00)"),
        ],
    )
    def test_refused(self, amount, paid, before, says) -> None:
        with pytest.raises(InvalidInput) as caught:
            refundable(D(amount), paid=D(paid), refunded_before=D(before))
        assert says in caught.value.message


class TestMapRefund:
    @pytest.mark.parametrize(
        ("amount", "method", "reason"),
        [("25.00", "3", None), ("0.01", None, "duplicate charge"), ("1234.565", "3", "chargeback")],
    )
    def test_valid_receipt(self, amount, method, reason) -> None:
        receipt = map_refund(
            refund(amount, reason=reason),
            customer_qbo_id="67",
            item_ref=Ref(value="10"),
            refund_from_account_id="35",
            payment_method_id=method,
        )
        [line] = receipt.line or []
        assert line.amount == D(amount).quantize(D("0.01"), rounding="ROUND_HALF_UP")
        assert receipt.deposit_to_account_ref == Ref(value="35")
        assert str(receipt.txn_date) == "2026-11-21"  # the UTC date
        assert receipt.payment_ref_num == "re_3Pxyz"
        assert validation_errors("RefundReceipt", entity_payload(receipt)) == []

    def test_currency_sent_when_given(self) -> None:
        receipt = map_refund(
            refund("5.00", currency="EUR"),
            customer_qbo_id="67",
            item_ref=Ref(value="10"),
            refund_from_account_id="35",
            payment_method_id=None,
            currency_ref=Ref(value="EUR"),
        )
        assert entity_payload(receipt)["CurrencyRef"] == {"value": "EUR"}
        assert validation_errors("RefundReceipt", entity_payload(receipt)) == []

    def test_aforo_id(self) -> None:
        assert refund_aforo_id("re_1") == "refund-re_1"
