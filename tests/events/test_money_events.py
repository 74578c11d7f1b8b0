"""The money events as the Spring services would publish them: decoded whatever the id and
instant spelling, each naming the record its kind syncs (docs/events.md)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from qbsync.events.errors import InvalidMessage
from qbsync.events.schemas import (
    CreditNoteIssued,
    InvoiceUpdated,
    InvoiceVoided,
    PaymentChargedBack,
    PaymentFailed,
    PaymentRefunded,
    decode_message,
    encode_event,
)
from qbsync.sync import payments
from qbsync.sync.registry import by_event, log_aforo_id

SPRING = {"__TypeId__": "space.aforo.events.Whatever"}


def decode(routing_key: str, body: dict[str, object]):
    return decode_message(routing_key, json.dumps(body).encode(), "application/json", SPRING)


@pytest.mark.parametrize(
    ("routing_key", "body", "model", "entity_id", "logged"),
    [
        (
            "invoice.updated",
            {"invoiceId": "42", "organizationId": 9, "status": "ISSUED", "occurredAt": 1767690000},
            InvoiceUpdated,
            "42",
            "invoice-42",
        ),
        (
            "invoice.voided",
            {"invoiceId": 42, "organizationId": "9", "newField": True},
            InvoiceVoided,
            "42",
            "invoice-42",
        ),
        (
            "credit_note.issued",
            {"creditNoteId": 5, "organizationId": 9, "invoiceId": 42, "totalAmount": 20.10},
            CreditNoteIssued,
            "note-5",
            "credit-note-5",
        ),
        (
            "payment.refunded",
            {
                "refundId": "re_1",
                "paymentId": "PAY-7",
                "organizationId": 9,
                "amount": "5.05",
                "refundedAt": "2026-11-20T12:00:00Z",
            },
            PaymentRefunded,
            "re_1",
            "refund-re_1",
        ),
        (
            "payment.failed",
            {"paymentId": 77, "organizationId": 9},
            PaymentFailed,
            "77",
            "payment-77",
        ),
        (
            "payment.charged_back",
            {"paymentId": "PAY-7", "organizationId": 9, "reason": "fraudulent"},
            PaymentChargedBack,
            "PAY-7",
            "payment-PAY-7",
        ),
    ],
)
def test_decoded_and_routed_to_their_kind(routing_key, body, model, entity_id, logged) -> None:
    event = decode(routing_key, body)
    assert isinstance(event, model)
    assert event.entity_id == entity_id
    kind = by_event(model)
    assert kind.aforo_id(kind.parse(event.entity_id)) == logged
    assert log_aforo_id(kind.entity_type, event.entity_id, fallback="?") == logged
    assert decode(routing_key, json.loads(encode_event(event))) == event


def test_refund_amount_stays_exact() -> None:
    event = decode("payment.refunded", {"refundId": "r", "organizationId": 9, "amount": 5.05})
    assert isinstance(event, PaymentRefunded)
    assert event.amount == Decimal("5.05")


@pytest.mark.parametrize(
    ("routing_key", "body"),
    [
        ("invoice.voided", {"organizationId": 9}),
        ("credit_note.issued", {"creditNoteId": "five", "organizationId": 9}),
        ("payment.refunded", {"paymentId": "PAY-7", "organizationId": 9}),
    ],
)
def test_a_message_without_its_record_is_invalid(routing_key, body) -> None:
    with pytest.raises(InvalidMessage):
        decode(routing_key, body)


def test_failure_and_chargeback_tell_the_payment_kind_to_reverse() -> None:
    failed = PaymentFailed(payment_id="PAY-7", organization_id=9)
    charged = PaymentChargedBack(payment_id="PAY-7", organization_id=9)
    assert payments.event_details(failed) == {"reversal": "FAILED", "paymentId": "PAY-7"}
    assert payments.event_details(charged) == {"reversal": "CHARGED_BACK", "paymentId": "PAY-7"}
