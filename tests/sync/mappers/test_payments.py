"""Aforo payment -> QBO Payment: how much is applied, the link to the invoice, refs and dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from qbsync.aforo.payments import AforoPayment
from qbsync.quickbooks.schemas import Payment, Ref
from qbsync.quickbooks.wire import dumps, entity_payload
from qbsync.sync.mappers.invoices import money
from qbsync.sync.mappers.payments import (
    PAYMENT_IDS,
    PaymentFacts,
    applied_amount,
    map_payment,
)
from qbsync.sync.mappers.text import payload_hash

D = Decimal


def facts(**fields: Any) -> PaymentFacts:
    """Facts built the way the engine builds them from the payment service's answer."""
    wire: dict[str, Any] = {
        "id": "pay_123",
        "organizationId": 9,
        "customerId": 7,
        "invoiceId": 42,
        "amount": D("210.00"),
        "currency": "USD",
        "paymentMethod": "card",
        "paidAt": "2026-11-05T10:00:00Z",
        "reference": "ch_123",
    }
    wire.update(fields)
    payment = AforoPayment.model_validate(wire)
    return PaymentFacts(
        payment_id=payment.id,
        organization_id=payment.organization_id,
        invoice_id=payment.invoice_id,
        customer_id=payment.customer_id,
        amount=payment.amount,
        paid_at=payment.paid_at,
        currency=payment.currency,
        payment_method=payment.payment_method,
        reference=payment.reference,
    )


def pay(
    payment: PaymentFacts | None = None,
    *,
    applied: str | Decimal = "210.00",
    deposit_account_id: str | None = None,
    payment_method_id: str | None = None,
) -> Payment:
    return map_payment(
        payment or facts(),
        customer_qbo_id="67",
        invoice_qbo_id="238",
        applied=D(applied),
        deposit_account_id=deposit_account_id,
        payment_method_id=payment_method_id,
    )


class TestAppliedAmount:
    @pytest.mark.parametrize(
        ("amount", "open_balance", "expected"),
        [
            ("100.00", "250.00", "100.00"),  # partial payment
            ("250.00", "100.00", "100.00"),  # over-payment: the rest stays a credit
            ("100.00", "100.00", "100.00"),
            ("100", "100.00", "100.00"),
            ("100.00", "0.00", "0"),  # already paid
            ("100.00", "-5.00", "0"),  # a credit balance never makes it negative
            ("0.00", "100.00", "0"),
            ("-10.00", "100.00", "0"),
            ("10.005", "100.00", "10.01"),
            ("100.00", "10.004", "10.00"),
            ("0.004", "100.00", "0"),
            ("0.01", "0.01", "0.01"),
            ("999999999.99", "999999999.99", "999999999.99"),
        ],
    )
    def test_table(self, amount, open_balance, expected):
        result = applied_amount(D(amount), D(open_balance))
        assert result == D(expected)
        assert result >= 0
        assert result == money(result)  # at most cents
        assert result <= max(money(D(amount)), money(D(open_balance)))


class TestMapPaymentLines:
    def test_full_payment_on_the_wire(self):
        payload = entity_payload(pay())
        assert payload == {
            "TxnDate": date(2026, 11, 5),
            "PrivateNote": "Aforo payment pay_123 for Aforo invoice 42. Synced by qbsync.",
            "TotalAmt": D("210.00"),
            "Line": [
                {"Amount": D("210.00"), "LinkedTxn": [{"TxnId": "238", "TxnType": "Invoice"}]}
            ],
            "CustomerRef": {"value": "67"},
            "PaymentRefNum": "ch_123",
        }

    @pytest.mark.parametrize(
        ("amount", "applied", "total", "line"),
        [
            ("50.00", "50.00", "50.00", "50.00"),  # partial payment of a larger invoice
            ("300.00", "210.00", "300.00", "210.00"),  # over-payment: 90.00 left unapplied
            ("50.5", "50.5", "50.50", "50.50"),
            ("10.005", "10.005", "10.01", "10.01"),
            ("100.00", "100.004", "100.00", "100.00"),
            ("100.00", "150.00", "100.00", "100.00"),  # never more than the payment
        ],
    )
    def test_applied_amount_is_linked_to_the_invoice(self, amount, applied, total, line):
        payment = pay(facts(amount=D(amount)), applied=applied)
        assert payment.total_amt == D(total)
        assert payment.line is not None
        [only] = payment.line
        assert str(only.amount) == line
        assert only.linked_txn is not None
        assert [(x.txn_id, x.txn_type) for x in only.linked_txn] == [("238", "Invoice")]

    @pytest.mark.parametrize("applied", ["0", "0.00", "0.004", "-5.00"])
    def test_nothing_applied_sends_no_lines(self, applied):
        payment = pay(applied=applied)
        # An empty Line (not a missing one): the whole payment stays an unapplied credit.
        assert payment.line == []
        assert entity_payload(payment)["Line"] == []
        assert payment.total_amt == D("210.00")

    @pytest.mark.parametrize(("a", "b"), [("50.5", "50.50"), ("100", "100.00"), ("7", "7.0")])
    def test_same_amount_in_another_scale_maps_the_same(self, a, b):
        # The engine skips a replay by this hash: the event's "50.5" and the service's
        # "50.50" are the same payment, not a change to write.
        first = pay(facts(amount=D(a)), applied=a)
        second = pay(facts(amount=D(b)), applied=b)
        assert payload_hash(first) == payload_hash(second)
        assert dumps(entity_payload(first)) == dumps(entity_payload(second))

    def test_amounts_go_out_as_exact_decimals(self):
        raw = dumps(entity_payload(pay(facts(amount=D("0.3")), applied="0.1"))).decode()
        assert '"TotalAmt":0.30' in raw
        assert '"Amount":0.10' in raw


class TestMapPaymentFields:
    @pytest.mark.parametrize(
        ("reference", "expected"),
        [
            ("ch_123", "ch_123"),
            ("  ch_123  ", "ch_123"),
            ("chk\n1001", "chk 1001"),
            ("r" * 21, "r" * 21),
            ("ch_3PxyzABCDEFGHIJKLMNOPQ", "ch_3PxyzABCDEFGHIJKLM"),
            ("ab" + " " * 19 + "cd", "ab cd"),
            ("", None),
            ("   ", None),
            (None, None),
        ],
    )
    def test_payment_ref_num(self, reference, expected):
        payment = pay(facts(reference=reference))
        assert payment.payment_ref_num == expected
        if expected is None:
            assert "PaymentRefNum" not in entity_payload(payment)
        else:
            assert len(payment.payment_ref_num or "") <= 21

    @pytest.mark.parametrize(
        ("deposit", "method", "expected"),
        [
            (None, None, {}),
            ("35", None, {"DepositToAccountRef": {"value": "35"}}),
            (None, "3", {"PaymentMethodRef": {"value": "3"}}),
            (
                "35",
                "3",
                {"DepositToAccountRef": {"value": "35"}, "PaymentMethodRef": {"value": "3"}},
            ),
            ("", "", {}),
        ],
    )
    def test_account_and_method_refs_only_when_given(self, deposit, method, expected):
        payload = entity_payload(pay(deposit_account_id=deposit, payment_method_id=method))
        refs = {
            key: payload[key]
            for key in ("DepositToAccountRef", "PaymentMethodRef")
            if key in payload
        }
        assert refs == expected

    @pytest.mark.parametrize(
        ("paid_at", "expected"),
        [
            ("2026-11-05T10:00:00Z", date(2026, 11, 5)),
            ("2026-11-05T00:00:00Z", date(2026, 11, 5)),
            ("2026-11-05T23:59:59.999999Z", date(2026, 11, 5)),
            ("2026-11-05T23:30:00-05:00", date(2026, 11, 6)),  # the UTC date
            ("2026-11-06T01:00:00+02:00", date(2026, 11, 5)),
            ("2026-11-05T10:00:00", date(2026, 11, 5)),  # no zone: UTC
        ],
    )
    def test_txn_date_from_paid_at(self, paid_at, expected):
        assert pay(facts(paidAt=paid_at)).txn_date == expected

    @pytest.mark.parametrize(
        ("paid_at", "expected"),
        [
            (datetime(2026, 11, 5, 23, 30, tzinfo=UTC), date(2026, 11, 5)),
            (datetime.fromisoformat("2026-11-05T23:30:00-05:00"), date(2026, 11, 6)),
            (datetime.fromisoformat("2026-11-05T23:30:00"), date(2026, 11, 5)),
            (None, None),
        ],
    )
    def test_txn_date_from_event_facts(self, paid_at, expected):
        event_facts = PaymentFacts(
            payment_id="pay_9",
            organization_id=9,
            invoice_id=42,
            customer_id=None,
            amount=D("10.00"),
            paid_at=paid_at,
        )
        payment = pay(event_facts, applied="10.00")
        assert payment.txn_date == expected
        if expected is None:
            assert "TxnDate" not in entity_payload(payment)

    @pytest.mark.parametrize("payment_id", ["pay_123", "987", "a/b c"])
    def test_private_note_names_the_aforo_payment_and_invoice(self, payment_id):
        note = pay(facts(id=payment_id)).private_note
        assert note is not None
        assert f"Aforo payment {payment_id} " in note
        assert "Aforo invoice 42" in note
        assert len(note) <= 4000

    def test_customer_ref(self):
        assert pay().customer_ref == Ref(value="67")

    def test_payment_id_as_a_number_is_accepted(self):
        assert facts(id=987).payment_id == "987"

    @pytest.mark.parametrize(
        ("payment_id", "expected"), [("pay_1", "payment-pay_1"), ("7", "payment-7")]
    )
    def test_aforo_id(self, payment_id, expected):
        assert PAYMENT_IDS.format(payment_id) == expected
