"""The kind registry: names, Aforo id codecs with the edge's bounds, and who is synced alone."""

from __future__ import annotations

import pytest

from qbsync.errors import InvalidInput
from qbsync.ids import MAX_ID
from qbsync.sync.registry import by_event, get, kinds, log_aforo_id, parse_aforo_id


def test_kinds_are_registered_dependencies_first() -> None:
    names = [kind.entity_type for kind in kinds()]
    assert names == ["CUSTOMER", "ITEM", "INVOICE", "PAYMENT", "CREDITMEMO", "REFUND"]
    for position, kind in enumerate(kinds()):
        assert all(names.index(dependency) < position for dependency in kind.depends_on)


@pytest.mark.parametrize("name", ["invoice", "INVOICE", " Invoice "])
def test_names_in_any_case(name: str) -> None:
    assert get(name).entity_type == "INVOICE"


def test_unknown_name_is_bad_input() -> None:
    with pytest.raises(InvalidInput, match="unknown entity type"):
        get("creditnote")


@pytest.mark.parametrize(
    ("entity_type", "raw", "key", "stored"),
    [
        ("customer", 5, 5, "CUST-5"),
        ("customer", "5", 5, "CUST-5"),
        ("CUSTOMER", "CUST-5", 5, "CUST-5"),
        ("customer", " cust-5 ", 5, "CUST-5"),
        ("invoice", "invoice-42", 42, "invoice-42"),
        ("invoice", str(MAX_ID), MAX_ID, f"invoice-{MAX_ID}"),
        ("payment", "pay_9f", "pay_9f", "payment-pay_9f"),
        ("payment", "payment-77", "77", "payment-77"),
    ],
)
def test_ids_parse_and_format(entity_type: str, raw: object, key: object, stored: str) -> None:
    kind, parsed = parse_aforo_id(entity_type, raw)
    assert parsed == key
    assert kind.aforo_id(parsed) == stored


@pytest.mark.parametrize(
    ("entity_type", "raw", "message"),
    [
        ("customer", "abc", "must be a number"),
        ("customer", 0, "must be a number"),
        ("customer", MAX_ID + 1, "must be a number"),
        ("invoice", str(MAX_ID + 1), "must be a number"),
        ("invoice", "invoice-", "must be a number"),
        ("customer", "5\n", "control characters"),
        ("payment", "pay\x00", "control characters"),
        ("payment", "p" * 91, "longer than 90"),
        ("payment", "payment-", "required"),
        ("item", "rateplan-7", "synced with the invoices that use them; retry the invoice"),
    ],
)
def test_bad_ids_are_refused(entity_type: str, raw: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_aforo_id(entity_type, raw)


def test_items_without_a_rate_plan_use_the_fallback() -> None:
    item = get("item")
    assert item.aforo_id(7) == "rateplan-7"
    assert item.aforo_id(None) == "item-fallback"


@pytest.mark.parametrize(
    ("routing_key", "entity_type"),
    [
        ("customer.activated", "CUSTOMER"),
        ("invoice.created", "INVOICE"),
        ("payment.received", "PAYMENT"),
    ],
)
def test_events_trigger_their_kind(routing_key: str, entity_type: str) -> None:
    kind = get(entity_type)
    assert kind.routing_key == routing_key
    assert kind.event is not None
    assert by_event(kind.event) is kind


@pytest.mark.parametrize(
    ("entity_type", "entity_id", "expected"),
    [
        ("CUSTOMER", "5", "CUST-5"),
        ("PAYMENT", "p1", "payment-p1"),
        ("ITEM", "7", "message:m1"),
        (None, "5", "message:m1"),
        ("CUSTOMER", None, "message:m1"),
    ],
)
def test_log_ids_of_events(entity_type: str | None, entity_id: str | None, expected: str) -> None:
    assert log_aforo_id(entity_type, entity_id, fallback="message:m1") == expected


@pytest.mark.parametrize(
    ("entity_type", "path", "id_param", "answer_id", "answer_qbo_id"),
    [
        ("customer", "customer", "customerId", "aforoCustomerId", "quickbooksCustomerId"),
        ("invoice", "invoice", "invoiceId", "aforoInvoiceId", "quickbooksInvoiceId"),
        ("payment", "payment", "paymentId", "aforoPaymentId", "quickbooksPaymentId"),
    ],
)
def test_compatibility_routes_keep_the_original_names(
    entity_type: str, path: str, id_param: str, answer_id: str, answer_qbo_id: str
) -> None:
    route = get(entity_type).route
    assert route is not None
    assert (route.path, route.id_param, route.answer_id, route.answer_qbo_id) == (
        path,
        id_param,
        answer_id,
        answer_qbo_id,
    )


def test_a_records_later_events_trigger_its_kind() -> None:
    from qbsync.events.schemas import (
        CreditNoteIssued,
        InvoiceUpdated,
        InvoiceVoided,
        PaymentChargedBack,
        PaymentFailed,
        PaymentRefunded,
    )

    assert by_event(InvoiceUpdated).entity_type == "INVOICE"
    assert by_event(InvoiceVoided).entity_type == "INVOICE"
    assert by_event(PaymentFailed).entity_type == "PAYMENT"
    assert by_event(PaymentChargedBack).entity_type == "PAYMENT"
    assert by_event(CreditNoteIssued).entity_type == "CREDITMEMO"
    assert by_event(PaymentRefunded).entity_type == "REFUND"
    assert get("invoice").routing_keys == ("invoice.created", "invoice.updated", "invoice.voided")


@pytest.mark.parametrize(
    ("entity_type", "raw", "stored"),
    [
        ("creditmemo", "note-5", "credit-note-5"),
        ("CREDITMEMO", "credit-invoice-42", "credit-invoice-42"),
        ("refund", "re_1", "refund-re_1"),
    ],
)
def test_money_kinds_ids(entity_type: str, raw: str, stored: str) -> None:
    kind, key = parse_aforo_id(entity_type, raw)
    assert kind.aforo_id(key) == stored
