"""Event schemas accept what the Java services send, and only that."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from qbsync.events.errors import InvalidMessage
from qbsync.events.samples import sample_events
from qbsync.events.schemas import (
    CUSTOMER_ACTIVATED,
    EVENT_TYPES,
    INVOICE_CREATED,
    PAYMENT_RECEIVED,
    CustomerActivated,
    InvoiceCreated,
    PaymentReceived,
    decode_message,
    encode_event,
)


def decode(routing_key: str, body: str) -> object:
    return decode_message(routing_key, body.encode(), "application/json")


class TestCustomerActivated:
    @pytest.mark.parametrize(
        ("body", "customer_id", "org_id"),
        [
            ('{"customerId": 42, "organizationId": 7}', 42, 7),
            ('{"customerId": "42", "organizationId": " 7 "}', 42, 7),
            ('{"customer_id": 42, "organization_id": 7}', 42, 7),
            ('{"customerId": 42.0, "organizationId": 7}', 42, 7),
            (
                '{"customerId": 42, "organizationId": 7, "status": "ACTIVE", "extra": {"a": 1}}',
                42,
                7,
            ),
            ('{"customerId": 9007199254740993, "organizationId": 7}', 9007199254740993, 7),
        ],
    )
    def test_ids_from_numbers_or_strings(self, body: str, customer_id: int, org_id: int) -> None:
        event = decode(CUSTOMER_ACTIVATED, body)
        assert event == CustomerActivated(customer_id=customer_id, organization_id=org_id)

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ('{"organizationId": 7}', "customerId"),
            ('{"customerId": 42}', "organizationId"),
            ('{"customerId": "CUST-42", "organizationId": 7}', "customerId"),
            ('{"customerId": true, "organizationId": 7}', "customerId"),
            ('{"customerId": 42.5, "organizationId": 7}', "customerId"),
            ('{"customerId": 0, "organizationId": 7}', "customerId"),
            ('{"customerId": -3, "organizationId": 7}', "customerId"),
            ('{"customerId": null, "organizationId": 7}', "customerId"),
        ],
    )
    def test_bad_or_missing_ids_are_wrong_schema(self, body: str, field: str) -> None:
        with pytest.raises(InvalidMessage) as caught:
            decode(CUSTOMER_ACTIVATED, body)
        assert caught.value.reason_code == "wrong_schema"
        assert field in caught.value.detail

    def test_event_id_and_occurred_at(self) -> None:
        event = decode(
            CUSTOMER_ACTIVATED,
            '{"customerId": 1, "organizationId": 2, "eventId": "e-1", "occurredAt": 1732147200}',
        )
        assert isinstance(event, CustomerActivated)
        assert event.event_id == "e-1"
        assert event.occurred_at == datetime(2024, 11, 21, tzinfo=UTC)


NOV_21 = datetime(2024, 11, 21, tzinfo=UTC)


class TestInstants:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("1732147200", NOV_21),
            ("1732147200.123456789", NOV_21.replace(microsecond=123456)),
            ('"1732147200.5"', NOV_21.replace(microsecond=500000)),
            ("1732147200123", NOV_21.replace(microsecond=123000)),  # epoch millis
            ('"2024-11-21T00:00:00Z"', NOV_21),
            ('"2024-11-21T02:00:00+02:00"', NOV_21),
            ('"2024-11-21T00:00:00"', NOV_21),  # no offset: read as UTC
            ('"2024-11-21T00:00:00.123456789Z"', NOV_21.replace(microsecond=123456)),
            ('"2024-11-21"', NOV_21),
            ("[2024, 11, 21]", NOV_21),
            ("[2024, 11, 21, 0, 0, 0, 5000]", NOV_21.replace(microsecond=5)),
        ],
    )
    def test_iso_epoch_and_jackson_forms(self, raw: str, expected: datetime) -> None:
        body = f'{{"invoiceId": 1, "organizationId": 2, "createdAt": {raw}}}'
        event = decode(INVOICE_CREATED, body)
        assert isinstance(event, InvoiceCreated)
        assert event.created_at == expected
        assert event.created_at is not None
        assert event.created_at.utcoffset() is not None

    @pytest.mark.parametrize("raw", ['"yesterday"', "true", "[2024]", '"2024-13-01"', "{}"])
    def test_other_forms_are_wrong_schema(self, raw: str) -> None:
        with pytest.raises(InvalidMessage) as caught:
            decode(INVOICE_CREATED, f'{{"invoiceId": 1, "organizationId": 2, "createdAt": {raw}}}')
        assert caught.value.reason_code == "wrong_schema"
        assert "createdAt" in caught.value.detail


class TestInvoiceCreated:
    def test_spring_default_converter_body(self) -> None:
        # Field for field what InvoiceCreatedEvent serializes to with Jackson2JsonMessageConverter.
        body = (
            '{"invoiceId": 123, "organizationId": 9, "customerId": 9, "subscriptionId": 3,'
            ' "ratePlanId": 4, "invoiceNumber": "INV-M3X2K9", "totalAmount": 210.10,'
            ' "billingPeriodStart": 1730419200.000000000,'
            ' "billingPeriodEnd": 1732147200.123456789, "createdAt": 1732147200.5}'
        )
        event = decode(INVOICE_CREATED, body)
        assert event == InvoiceCreated(
            invoice_id=123,
            organization_id=9,
            customer_id=9,
            subscription_id=3,
            rate_plan_id=4,
            invoice_number="INV-M3X2K9",
            total_amount=Decimal("210.10"),
            billing_period_start=datetime(2024, 11, 1, tzinfo=UTC),
            billing_period_end=NOV_21.replace(microsecond=123456),
            created_at=NOV_21.replace(microsecond=500000),
        )

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [("210.00", Decimal("210.00")), ('"-15.5"', Decimal("-15.5")), ("7", Decimal(7))],
    )
    def test_money_stays_exact(self, raw: str, expected: Decimal) -> None:
        event = decode(
            INVOICE_CREATED, f'{{"invoiceId": 1, "organizationId": 2, "totalAmount": {raw}}}'
        )
        assert isinstance(event, InvoiceCreated)
        assert event.total_amount == expected
        assert str(event.total_amount) == str(expected)

    def test_webhook_body_keeps_jwt_out_of_repr(self) -> None:
        body = (
            '{"invoiceId": 123, "organizationId": 9, "customerId": 9, "invoiceNumber": "INV-1",'
            ' "totalAmount": 210.00, "jwtToken": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"}'
        )
        event = decode(INVOICE_CREATED, body)
        assert isinstance(event, InvoiceCreated)
        assert event.jwt_token == "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"
        assert "eyJ" not in repr(event)
        assert "eyJ" not in str(event)


class TestPaymentReceived:
    @pytest.mark.parametrize(
        ("raw", "expected"), [("9001", "9001"), ('"PAY-9001"', "PAY-9001"), ("9001.0", "9001")]
    )
    def test_payment_id_is_text(self, raw: str, expected: str) -> None:
        event = decode(
            PAYMENT_RECEIVED,
            f'{{"paymentId": {raw}, "invoiceId": "55", "customerId": 9, "organizationId": 2,'
            ' "amount": 99.90, "currency": "USD", "paymentMethod": "CARD",'
            ' "paidAt": "2024-11-21T00:00:00Z", "reference": "ch_1"}',
        )
        assert event == PaymentReceived(
            payment_id=expected,
            invoice_id=55,
            customer_id=9,
            organization_id=2,
            amount=Decimal("99.90"),
            currency="USD",
            payment_method="CARD",
            paid_at=NOV_21,
            reference="ch_1",
        )

    @pytest.mark.parametrize("raw", ['""', "true", "1.5", "null"])
    def test_bad_payment_id(self, raw: str) -> None:
        with pytest.raises(InvalidMessage) as caught:
            decode(PAYMENT_RECEIVED, f'{{"paymentId": {raw}, "organizationId": 2}}')
        assert "paymentId" in caught.value.detail


class TestEncoding:
    @pytest.mark.parametrize("event", sample_events(77), ids=lambda e: e.routing_key)
    def test_round_trip(self, event: CustomerActivated | InvoiceCreated | PaymentReceived) -> None:
        body = encode_event(event)
        assert b'"organizationId":77' in body  # camelCase, ids as numbers
        assert decode_message(event.routing_key, body, "application/json") == event

    def test_every_routing_key_has_a_model(self) -> None:
        assert {model.routing_key for model in EVENT_TYPES.values()} == set(EVENT_TYPES)
