"""Both of Intuit's delivery formats read into one list of changes; the signature check."""

from __future__ import annotations

import json

import pytest

from qbsync.reconcile.notifications import Operation, is_signed, read_delivery
from tests.reconcile.conftest import VERIFIER_TOKEN, delivery, signed


class TestSignature:
    def test_the_hmac_of_the_raw_body_with_the_verifier_token_passes(self) -> None:
        body = delivery("cloudevents", ("1", "Invoice", "5", "Update"))
        assert is_signed(body, signed(body)["intuit-signature"], VERIFIER_TOKEN)

    @pytest.mark.parametrize(
        "header",
        [None, "", "not base64!", "c2lnbmF0dXJl"],
        ids=["missing", "empty", "garbage", "wrong"],
    )
    def test_anything_else_fails(self, header: str | None) -> None:
        body = delivery("cloudevents", ("1", "Invoice", "5", "Update"))
        assert not is_signed(body, header, VERIFIER_TOKEN)

    def test_another_token_or_a_changed_body_fails(self) -> None:
        body = delivery("legacy", ("1", "Invoice", "5", "Update"))
        assert not is_signed(body, signed(body, token="other")["intuit-signature"], VERIFIER_TOKEN)
        assert not is_signed(body + b" ", signed(body)["intuit-signature"], VERIFIER_TOKEN)


class TestFormats:
    @pytest.mark.parametrize("fmt", ["cloudevents", "legacy"])
    def test_both_formats_give_the_same_changes(self, fmt: str) -> None:
        body = delivery(
            fmt,  # type: ignore[arg-type]
            ("11", "Invoice", "5", "Delete"),
            ("22", "Customer", "7", "Update"),
            ("11", "Payment", "9", "Create"),
        )
        read = read_delivery(body)
        assert (
            [(c.realm_id, c.entity, c.qbo_id, c.operation) for c in read.changes]
            == [
                ("11", "Invoice", "5", Operation.DELETE),
                ("11", "Payment", "9", Operation.CREATE),
                ("22", "Customer", "7", Operation.UPDATE),
            ]
            if fmt == "legacy"
            else [
                ("11", "Invoice", "5", Operation.DELETE),
                ("22", "Customer", "7", Operation.UPDATE),
                ("11", "Payment", "9", Operation.CREATE),
            ]
        )
        assert all(c.occurred_at is not None and c.occurred_at.tzinfo for c in read.changes)

    def test_merges_name_the_customer_merged_away(self) -> None:
        for fmt in ("cloudevents", "legacy"):
            body = delivery(fmt, ("1", "Customer", "7", "Merge"), deleted_id="8")  # type: ignore[arg-type]
            (change,) = read_delivery(body).changes
            assert (change.operation, change.qbo_id, change.deleted_id) == (
                Operation.MERGE,
                "7",
                "8",
            )

    def test_intuits_void_word_is_read_as_a_void(self) -> None:
        event = json.loads(delivery("cloudevents", ("1", "Invoice", "5", "Void")))
        event[0]["type"] = "qbo.invoice.void.v1"
        (change,) = read_delivery(json.dumps(event).encode()).changes
        assert change.operation == Operation.VOID

    def test_other_entities_and_operations_are_ignored_and_bad_events_counted(self) -> None:
        events = json.loads(delivery("cloudevents", ("1", "Invoice", "5", "Update")))
        events += [
            {**events[0], "id": "a", "type": "qbo.bill.created.v1"},
            {**events[0], "id": "b", "type": "qbo.invoice.emailed.v1"},
            {**events[0], "id": "c", "intuitentityid": "../5"},
            {**events[0], "id": "d", "type": 5},
            "not an event",
        ]
        read = read_delivery(json.dumps(events).encode())
        assert (len(read.changes), read.ignored, read.malformed) == (1, 2, 3)

    @pytest.mark.parametrize("body", [b"", b"{", b"42", b'{"eventNotifications": 1}', b"[[[]]]"])
    def test_bodies_that_are_not_deliveries_are_malformed_not_errors(self, body: bytes) -> None:
        read = read_delivery(body)
        assert read.changes == []
        assert read.malformed >= 1

    def test_the_same_event_keeps_its_key_and_events_differ(self) -> None:
        body = delivery("legacy", ("1", "Invoice", "5", "Update"), ("1", "Invoice", "6", "Update"))
        first, second = read_delivery(body).changes
        assert first.key != second.key
        assert [c.key for c in read_delivery(body).changes] == [first.key, second.key]
