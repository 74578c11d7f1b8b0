"""decode_message: which content types are accepted and how every poison kind is named."""

from __future__ import annotations

import pytest

from qbsync.events.errors import InvalidMessage
from qbsync.events.schemas import CustomerActivated, decode_message
from qbsync.events.settlement import _peek_ids

GOOD = b'{"customerId": 42, "organizationId": 7}'
# The first bytes of a Java-serialized object (ObjectOutputStream magic + version).
JAVA_SERIALIZED = b"\xac\xed\x00\x05sr\x00\x1eaforo.customer.CustomerActivated"


class TestAccepted:
    @pytest.mark.parametrize(
        ("content_type", "content_encoding"),
        [
            ("application/json", "UTF-8"),  # Spring's Jackson2JsonMessageConverter
            ("application/json;charset=UTF-8", None),  # converter configured with a charset
            (None, None),  # no content type: Spring treats it as JSON, so do we
            ("", None),
            ("application/octet-stream", None),
            ("text/plain", "utf-8"),  # SimpleMessageConverter with a JSON string
        ],
    )
    def test_json_under_any_tolerated_content_type(
        self, content_type: str | None, content_encoding: str | None
    ) -> None:
        event = decode_message(
            "customer.activated",
            GOOD,
            content_type,
            {"__TypeId__": "aforo.customer.event.CustomerActivatedEvent", "__ContentTypeId__": "x"},
            content_encoding=content_encoding,
        )
        assert event == CustomerActivated(customer_id=42, organization_id=7)

    def test_declared_charset_is_used(self) -> None:
        body = '{"customerId": 1, "organizationId": 2, "eventId": "café"}'.encode("latin-1")
        event = decode_message(
            "customer.activated", body, "application/json; charset=ISO-8859-1", None
        )
        assert event.event_id == "café"

    def test_type_id_of_another_class_does_not_override_the_routing_key(self) -> None:
        event = decode_message(
            "customer.activated",
            GOOD,
            "application/json",
            {"__TypeId__": "aforo.metering.event.InvoiceCreatedEvent"},
        )
        assert isinstance(event, CustomerActivated)


class TestPoison:
    @pytest.mark.parametrize(
        ("routing_key", "body", "content_type", "content_encoding", "reason"),
        [
            ("customer.activated", b"hello", "application/json", None, "invalid_json"),
            ("customer.activated", b"", None, None, "invalid_json"),
            ("customer.activated", b'{"customerId": 1,', "application/json", None, "invalid_json"),
            ("customer.activated", b"\xff\xfe{}", "application/json", None, "invalid_json"),
            ("customer.activated", b'{"customerId": NaN}', None, None, "invalid_json"),
            ("customer.activated", GOOD, "application/json; charset=nope", None, "invalid_json"),
            (
                "customer.activated",
                JAVA_SERIALIZED,
                "application/x-java-serialized-object",
                None,
                "unsupported_content_type",
            ),
            ("customer.activated", GOOD, "application/xml", None, "unsupported_content_type"),
            ("customer.activated", GOOD, "application/json", "gzip", "unsupported_content_type"),
            (
                "customer.activated",
                JAVA_SERIALIZED,
                "application/octet-stream",
                None,
                "invalid_json",
            ),
            ("customer.activated", b"[1, 2]", "application/json", None, "wrong_schema"),
            ("customer.activated", b'"text"', "application/json", None, "wrong_schema"),
            ("customer.activated", b'{"customerId": 1}', "application/json", None, "wrong_schema"),
            ("customer.deleted", GOOD, "application/json", None, "unknown_event_type"),
            (  # a payment id that would forge a log line
                "payment.received",
                b'{"paymentId": "PAY-1\\n2026-01-01 INFO forged", "organizationId": 2}',
                "application/json",
                None,
                "wrong_schema",
            ),
            (
                "payment.received",
                b'{"paymentId": "\\u001b[31mPAY", "organizationId": 2}',
                "application/json",
                None,
                "wrong_schema",
            ),
        ],
    )
    def test_reason_codes(
        self,
        routing_key: str,
        body: bytes,
        content_type: str | None,
        content_encoding: str | None,
        reason: str,
    ) -> None:
        with pytest.raises(InvalidMessage) as caught:
            decode_message(routing_key, body, content_type, {}, content_encoding=content_encoding)
        assert caught.value.reason_code == reason
        assert caught.value.category == "INVALID_INPUT"

    def test_oversized_body_is_refused_before_parsing(self) -> None:
        body = b'{"customerId": 1, "organizationId": 2, "pad": "' + b"x" * 200 + b'"}'
        with pytest.raises(InvalidMessage) as caught:
            decode_message("customer.activated", body, "application/json", {}, max_body_bytes=100)
        assert caught.value.reason_code == "oversized_body"
        decoded = decode_message("customer.activated", body, None, {}, max_body_bytes=len(body))
        assert decoded == CustomerActivated(customer_id=1, organization_id=2)

    def test_schema_detail_never_echoes_values(self) -> None:
        body = b'{"invoiceId": "x", "organizationId": 2, "jwtToken": 5, "totalAmount": "eyJsecret"}'
        with pytest.raises(InvalidMessage) as caught:
            decode_message("invoice.created", body, "application/json", {})
        assert "invoiceId" in caught.value.detail
        assert "jwtToken" in caught.value.detail
        assert "eyJsecret" not in str(caught.value)


# Issue #12 items 2 and 9: nothing a body holds escapes the decoder, and ids that cannot
# exist are a schema error (parked at once), not a sync that fails for an hour.
DEEP = b'{"customerId": 1, "organizationId": 2, "x": ' + b"[" * 60_000 + b"]" * 60_000 + b"}"


class TestCannotSucceed:
    def test_json_nested_60000_deep_is_invalid_json(self) -> None:
        with pytest.raises(InvalidMessage) as caught:
            decode_message("customer.activated", DEEP, "application/json", {})
        assert caught.value.reason_code == "invalid_json"
        assert "RecursionError" in caught.value.detail

    def test_peeking_into_a_deep_body_finds_no_ids(self) -> None:
        # 30,000 deep stays under the peek's 64 KB cut-off, so the parser does meet it.
        deep = b'{"customerId": 1, "x": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"
        assert _peek_ids(deep, "customer.activated") == ("CUSTOMER", None, None)

    @pytest.mark.parametrize(
        ("routing_key", "body"),
        [
            ("invoice.created", b'{"invoiceId": 1180591620717411303424, "organizationId": 2}'),
            ("invoice.created", b'{"invoiceId": 1, "organizationId": 1180591620717411303424}'),
            ("invoice.created", b'{"invoiceId": 1, "organizationId": "9223372036854775808"}'),
            ("invoice.created", b'{"invoiceId": 1, "organizationId": "' + b"9" * 5000 + b'"}'),
            ("invoice.created", b'{"invoiceId": 0, "organizationId": 2}'),
            ("payment.received", b'{"paymentId": "' + b"p" * 95 + b'", "organizationId": 2}'),
        ],
    )
    def test_ids_that_cannot_exist_are_a_wrong_schema(self, routing_key: str, body: bytes) -> None:
        with pytest.raises(InvalidMessage) as caught:
            decode_message(routing_key, body, "application/json", {})
        assert caught.value.reason_code == "wrong_schema"

    def test_peeking_ignores_an_organization_beyond_a_bigint(self) -> None:
        body = b'{"invoiceId": 5, "organizationId": 1180591620717411303424}'
        assert _peek_ids(body, "invoice.created") == ("INVOICE", "5", None)
