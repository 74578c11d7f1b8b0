"""Credits -> CreditMemo: which invoices are credits, lines with their signs turned, charges
netted as a discount, rounding, and the zero payment that applies a credit; XSD-valid."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from qbsync.aforo.billing import AforoInvoice
from qbsync.aforo.credit_notes import AforoCreditNote
from qbsync.quickbooks.schemas import DiscountLine, Ref, SalesItemLine
from qbsync.quickbooks.wire import entity_payload
from qbsync.sync.mappers.credit_memos import (
    application_aforo_id,
    credit_note_aforo_id,
    credit_to_apply,
    is_credit,
    map_credit_application,
    map_credit_note,
    map_invoice_credit,
)
from tests.quickbooks.xsd import validation_errors

D = Decimal
ITEM = Ref(value="10")


def invoice(amounts: list[str], total: str | None = None, **fields: Any) -> AforoInvoice:
    lines = [
        {"lineNumber": n, "description": f"Line {n}", "amount": D(a)}
        for n, a in enumerate(amounts, start=1)
    ]
    wire = {
        "id": 42,
        "organizationId": 9,
        "customerId": 7,
        "invoiceNumber": "INV-42",
        "totalAmount": D(total) if total is not None else sum((D(a) for a in amounts), D(0)),
        "billingPeriodEnd": "2026-10-31T23:59:59Z",
        "status": "ISSUED",
        "lineItems": lines,
        **fields,
    }
    return AforoInvoice.model_validate(wire)


def note(amounts: list[str], **fields: Any) -> AforoCreditNote:
    wire = {
        "id": 5,
        "organizationId": 9,
        "customerId": 7,
        "invoiceId": 42,
        "creditNoteNumber": "CN-5",
        "totalAmount": sum((D(a) for a in amounts), D(0)),
        "issuedAt": "2026-11-10T08:00:00Z",
        "reason": "service outage",
        "lineItems": [
            {"lineNumber": n, "description": f"Credit {n}", "amount": D(a)}
            for n, a in enumerate(amounts, start=1)
        ],
        **fields,
    }
    return AforoCreditNote.model_validate(wire)


class TestIsCredit:
    @pytest.mark.parametrize(
        ("amounts", "total", "credit"),
        [
            (["100.00", "-20.00"], None, False),
            (["100.00", "-100.00"], None, False),  # zero: nothing to give back
            (["10.00", "-30.00"], None, True),
            (["-5.00"], None, True),
            (["0.00", "-0.004"], None, False),  # rounds to nothing
            ([], "-12.00", True),
            ([], "12.00", False),
        ],
    )
    def test_credits_exceeding_charges(self, amounts, total, credit) -> None:
        assert is_credit(invoice(amounts, total)) is credit


class TestInvoiceCredit:
    @pytest.mark.parametrize(
        ("amounts", "sales", "discount", "total"),
        [
            (["-30.00"], [D("30.00")], None, D("30.00")),
            (["10.00", "-30.00", "-5.555"], [D("30.00"), D("5.56")], D("10.00"), D("25.56")),
            # A zero (informational) line stays, as on invoices.
            (["0.00", "-1.00"], [D("0.00"), D("1.00")], None, D("1.00")),
        ],
    )
    def test_signs_turned_and_charges_netted(self, amounts, sales, discount, total) -> None:
        mapped = map_invoice_credit(invoice(amounts), customer_qbo_id="67", item_ref=ITEM)
        lines = mapped.memo.line or []
        assert [line.amount for line in lines if isinstance(line, SalesItemLine)] == sales
        discounts = [line.amount for line in lines if isinstance(line, DiscountLine)]
        assert discounts == ([] if discount is None else [discount])
        assert mapped.total == total
        assert mapped.memo.doc_number == "INV-42"
        assert str(mapped.memo.txn_date) == "2026-10-31"
        assert validation_errors("CreditMemo", entity_payload(mapped.memo)) == []

    def test_an_invoice_without_lines_is_one_credit_line(self) -> None:
        mapped = map_invoice_credit(invoice([], "-12.50"), customer_qbo_id="67", item_ref=ITEM)
        assert [line.amount for line in mapped.memo.line or []] == [D("12.50")]
        assert mapped.line_rates == [None]


class TestCreditNote:
    def test_lines_reason_and_link_in_the_note(self) -> None:
        mapped = map_credit_note(note(["15.00", "5.00"]), customer_qbo_id="67", item_ref=ITEM)
        assert [line.amount for line in mapped.memo.line or []] == [D("15.00"), D("5.00")]
        assert mapped.total == D("20.00")
        assert mapped.memo.private_note is not None
        assert "for Aforo invoice 42: service outage" in mapped.memo.private_note
        assert mapped.memo.doc_number == "CN-5"
        assert validation_errors("CreditMemo", entity_payload(mapped.memo)) == []

    def test_aforo_ids(self) -> None:
        assert credit_note_aforo_id(5) == "credit-note-5"
        assert application_aforo_id("credit-note-5", "130") == "credit-note-5:applied-to:130"


class TestApplication:
    @pytest.mark.parametrize(
        ("left", "balance", "applied"),
        [
            (D("20.00"), D("100.00"), D("20.00")),
            (D("20.00"), D("7.50"), D("7.50")),
            (D("20.00"), D("0"), D("0.00")),
            (D("0.004"), D("5"), D("0.00")),
        ],
    )
    def test_never_more_than_credit_or_balance(self, left, balance, applied) -> None:
        assert credit_to_apply(left, balance) == applied

    def test_zero_payment_links_invoice_and_credit(self) -> None:
        payment = map_credit_application(
            customer_qbo_id="67",
            credit_qbo_id="140",
            invoice_qbo_id="130",
            amount=D("20"),
            txn_date=None,
            note="credit applied",
        )
        assert payment.total_amt == D("0.00")
        assert [(line.amount, line.linked_txn[0].txn_type) for line in payment.line or []] == [
            (D("20.00"), "Invoice"),
            (D("20.00"), "CreditMemo"),
        ]
        assert validation_errors("Payment", entity_payload(payment)) == []
