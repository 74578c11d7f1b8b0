"""Metering invoice -> QBO Invoice: line order, amounts QBO accepts, discounts, dates, notes."""

from __future__ import annotations

import itertools
import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from qbsync.aforo.base import decode_json
from qbsync.aforo.billing import AforoInvoice, AforoInvoiceLine
from qbsync.quickbooks.schemas import DiscountLine, Ref, SalesItemLine
from qbsync.quickbooks.wire import dumps, entity_payload
from qbsync.sync.mappers.invoices import (
    FALLBACK_LINE,
    INVOICE_IDS,
    invoice_dates,
    invoice_lines,
    line_description,
    map_invoice,
    money,
)

ITEM = Ref(value="10")
D = Decimal


def line(number: int, amount: str, description: str | None = None, **extra: Any) -> dict[str, Any]:
    """A line item as metering writes it (quantity and unitPrice are always null today)."""
    return {
        "id": 100 + number,
        "lineNumber": number,
        "description": description if description is not None else f"Charge {number}",
        "calculation": None,
        "amount": D(amount),
        "quantity": None,
        "unitPrice": None,
        **extra,
    }


def make_invoice(**fields: Any) -> AforoInvoice:
    """An invoice as metering's GET /api/invoices/{id} answers it (nulls included)."""
    wire: dict[str, Any] = {
        "id": 42,
        "organizationId": 9,
        "customerId": 7,
        "subscriptionId": 17,
        "ratePlanId": 5,
        "invoiceNumber": "INV-2026-0042",
        "totalAmount": D("210.00"),
        "modelType": "MONTHLY",
        "billingPeriodStart": "2026-10-01T00:00:00Z",
        "billingPeriodEnd": "2026-10-31T23:59:59Z",
        "status": "DRAFT",
        "notes": None,
        "createdAt": "2026-11-01T00:05:00Z",
        "updatedAt": "2026-11-01T00:05:00Z",
        "lineItems": [
            line(1, "200.00", "Flat Fee", calculation="Base"),
            line(2, "10.00", "Overage Charges", calculation="20 * 0.5"),
        ],
    }
    wire.update(fields)
    return AforoInvoice.model_validate(wire)


def lines_of(*items: dict[str, Any]) -> tuple[list[SalesItemLine], list[DiscountLine]]:
    mapped, _ = invoice_lines(make_invoice(lineItems=list(items)), item_ref=ITEM)
    sales = [x for x in mapped if isinstance(x, SalesItemLine)]
    discounts = [x for x in mapped if isinstance(x, DiscountLine)]
    assert len(sales) + len(discounts) == len(mapped)
    return sales, discounts


def qty_times_price(sales_line: SalesItemLine) -> Decimal:
    detail = sales_line.sales_item_line_detail
    assert detail.qty is not None
    assert detail.unit_price is not None
    return detail.qty * detail.unit_price


AMOUNTS = [
    ("0.00", "0.00"),
    ("0", "0.00"),
    ("0.01", "0.01"),
    ("0.1", "0.10"),
    ("1", "1.00"),
    ("9.99", "9.99"),
    ("200.00", "200.00"),
    ("0.005", "0.01"),
    ("0.004", "0.00"),
    ("10.005", "10.01"),
    ("10.004", "10.00"),
    ("2.675", "2.68"),
    ("1.115", "1.12"),
    ("123456.785", "123456.79"),
    ("999999999.99", "999999999.99"),
    ("999999999.994", "999999999.99"),
]


class TestMoney:
    @pytest.mark.parametrize(
        ("value", "expected"), [*AMOUNTS, ("-5.005", "-5.01"), ("-0.004", "0.00")]
    )
    def test_rounds_half_up_to_cents(self, value, expected):
        result = money(D(value))
        assert result == D(expected)
        assert result.as_tuple().exponent == -2

    @pytest.mark.parametrize("value", ["-0.00", "-0.004", "-0.001", "0.004"])
    def test_zero_is_never_negative(self, value):
        assert str(money(D(value))) == "0.00"


class TestInvoiceLinesOrder:
    NUMBERS = (1, 2, 3, 4)

    @pytest.mark.parametrize("order", list(itertools.permutations(NUMBERS)))
    def test_sorted_by_line_number_whatever_the_input_order(self, order):
        sales, _ = lines_of(*(line(n, f"{n}.00", f"Line {n} charge") for n in order))
        assert [x.description for x in sales] == [f"Line {n} charge" for n in self.NUMBERS]

    def test_the_mapper_sorts_even_an_unsorted_model(self):
        invoice = make_invoice(lineItems=[line(1, "1.00", "a"), line(2, "2.00", "b")])
        unsorted = invoice.model_copy(update={"line_items": list(reversed(invoice.line_items))})
        mapped, _ = invoice_lines(unsorted, item_ref=ITEM)
        assert [x.description for x in mapped] == ["a", "b"]

    def test_gaps_in_numbering_keep_the_order(self):
        sales, _ = lines_of(
            line(10, "1.00", "ten"), line(2, "1.00", "two"), line(7, "1.00", "seven")
        )
        assert [x.description for x in sales] == ["two", "seven", "ten"]


class TestInvoiceLinesAmounts:
    @pytest.mark.parametrize(("amount", "expected"), AMOUNTS)
    def test_qty_times_unit_price_is_the_amount_to_the_cent(self, amount, expected):
        [sales], _ = lines_of(line(1, amount))
        assert sales.amount == D(expected)
        assert sales.amount is not None
        assert sales.amount.as_tuple().exponent == -2
        assert money(qty_times_price(sales)) == sales.amount
        assert sales.sales_item_line_detail.item_ref == ITEM

    @pytest.mark.parametrize(
        ("quantity", "unit_price", "amount", "qty", "price"),
        [
            # Agreeing to the cent: the real quantity and price are shown.
            ("120", "0.5", "60.00", "120", "0.5"),
            ("3", "0.333", "1.00", "3", "0.333"),  # 0.999 rounds to 1.00
            ("2", "0", "0.00", "2", "0"),
            ("0.5", "19.99", "10.00", "0.5", "19.99"),  # 9.995 rounds half up
            # Anything else: 1 x amount.
            ("3", "0.333", "0.99", "1", "0.99"),
            ("120", "0.5", "61.00", "1", "61.00"),
            (None, "0.5", "60.00", "1", "60.00"),
            ("120", None, "60.00", "1", "60.00"),
            (None, None, "60.00", "1", "60.00"),
            ("0", "5", "0.00", "1", "0.00"),
            ("-2", "-5", "10.00", "1", "10.00"),
            ("1", "-0.004", "0.00", "1", "0.00"),  # a negative price never goes out
        ],
    )
    def test_quantity_and_unit_price_used_only_when_they_agree(
        self, quantity, unit_price, amount, qty, price
    ):
        [sales], _ = lines_of(
            line(
                1,
                amount,
                quantity=None if quantity is None else D(quantity),
                unitPrice=None if unit_price is None else D(unit_price),
            )
        )
        assert sales.sales_item_line_detail.qty == D(qty)
        assert sales.sales_item_line_detail.unit_price == D(price)
        assert money(qty_times_price(sales)) == sales.amount == D(amount)

    @pytest.mark.parametrize("amount", ["0.00", "0"])
    def test_zero_lines_are_kept_in_place(self, amount):
        sales, discounts = lines_of(
            line(1, "100.00", "Flat Fee"),
            line(2, amount, "Freemium Credit"),
            line(3, "0.00", "Minimum Usage Commitment"),
            line(4, "5.00", "Setup Fee"),
        )
        assert [(x.description, x.amount) for x in sales] == [
            ("Flat Fee", D("100.00")),
            ("Freemium Credit", D("0.00")),
            ("Minimum Usage Commitment", D("0.00")),
            ("Setup Fee", D("5.00")),
        ]
        assert discounts == []

    def test_a_tiny_negative_rounds_to_a_zero_line_not_a_discount(self):
        sales, discounts = lines_of(line(1, "-0.004", "Rounding"))
        assert discounts == []
        assert [str(x.amount) for x in sales] == ["0.00"]
        assert str(sales[0].sales_item_line_detail.unit_price) == "0.00"


class TestInvoiceLinesDiscounts:
    @pytest.mark.parametrize(
        ("items", "sales_amounts", "discount"),
        [
            pytest.param(
                [line(1, "200.00"), line(2, "-20.00")], ["200.00"], "20.00", id="one-discount"
            ),
            pytest.param(
                [line(1, "200.00"), line(2, "-20.00"), line(3, "10.00"), line(4, "-5.50")],
                ["200.00", "10.00"],
                "25.50",
                id="two-discounts-merged",
            ),
            pytest.param(
                [line(3, "-0.01"), line(1, "0.00"), line(2, "0.01")],
                ["0.00", "0.01"],
                "0.01",
                id="smallest-amounts",
            ),
            pytest.param(
                [line(1, "100.00"), line(2, "-5.005"), line(3, "-0.004")],
                ["100.00", "0.00"],
                "5.01",
                id="rounded-to-cents",
            ),
            pytest.param(
                [line(1, "999999999.99"), line(2, "-999999999.99")],
                ["999999999.99"],
                "999999999.99",
                id="largest",
            ),
        ],
    )
    def test_negative_lines_become_one_discount(self, items, sales_amounts, discount):
        mapped, totals = invoice_lines(make_invoice(lineItems=items), item_ref=ITEM)
        *sales, last = mapped
        assert all(isinstance(x, SalesItemLine) for x in sales)
        assert [x.amount for x in sales] == [D(a) for a in sales_amounts]
        assert all(x.amount is not None and x.amount >= 0 for x in sales)
        assert isinstance(last, DiscountLine)
        assert last.amount == D(discount)
        assert last.discount_line_detail.percent_based is False
        assert totals.discount == D(discount)

    def test_discount_description_names_every_discount_line(self):
        _, [discount] = lines_of(
            line(1, "200.00", "Flat Fee"),
            line(3, "-5.00", "Flat Discount", calculation="Fixed"),
            line(2, "-20.00", "Discount (10%)", calculation="200.00 * 10%"),
        )
        assert discount.description == "Discount (10%) (200.00 * 10%); Flat Discount (Fixed)"

    def test_no_negative_line_no_discount_line(self):
        _, discounts = lines_of(line(1, "1.00"), line(2, "0.00"))
        assert discounts == []

    def test_discount_on_the_wire(self):
        invoice = make_invoice(lineItems=[line(1, "200.00"), line(2, "-20.00", "Flat Discount")])
        payload, _ = map_invoice(invoice, customer_qbo_id="67", item_ref=ITEM, terms_days=30)
        assert entity_payload(payload)["Line"][-1] == {
            "Description": "Flat Discount",
            "Amount": D("20.00"),
            "DetailType": "DiscountLineDetail",
            "DiscountLineDetail": {"PercentBased": False},
        }


class TestInvoiceLinesWithoutLines:
    @pytest.mark.parametrize("items", [[], None])
    @pytest.mark.parametrize(
        ("total", "expected"), [("210.00", "210.00"), ("0", "0.00"), ("12.345", "12.35")]
    )
    def test_one_usage_charges_line_for_the_total(self, items, total, expected):
        mapped, totals = invoice_lines(
            make_invoice(lineItems=items, totalAmount=D(total)), item_ref=ITEM
        )
        [only] = mapped
        assert isinstance(only, SalesItemLine)
        assert only.description == FALLBACK_LINE == "Usage charges"
        assert only.amount == D(expected)
        assert only.sales_item_line_detail.qty == 1
        assert only.sales_item_line_detail.item_ref == ITEM
        assert money(qty_times_price(only)) == only.amount
        assert (totals.charges, totals.discount, totals.total) == (D(expected), D(0), D(expected))


class TestInvoiceTotals:
    @pytest.mark.parametrize(
        ("amounts", "charges", "discount", "total"),
        [
            (["200.00", "10.00"], "210.00", "0", "210.00"),
            (["200.00", "-20.00", "10.00"], "210.00", "20.00", "190.00"),
            (["0.00"], "0.00", "0", "0.00"),
            (["0.01", "0.01", "0.01"], "0.03", "0", "0.03"),
            (["0.005", "0.005"], "0.02", "0", "0.02"),  # each line rounds on its own
            (["100.00", "-5.005", "-5.005"], "100.00", "10.02", "89.98"),
            (["-10.00", "-2.50"], "0", "12.50", "-12.50"),
            (["999999999.99", "0.01"], "1000000000.00", "0", "1000000000.00"),
        ],
    )
    def test_totals(self, amounts, charges, discount, total):
        items = [line(n, a) for n, a in enumerate(amounts, start=1)]
        mapped, totals = invoice_lines(make_invoice(lineItems=items), item_ref=ITEM)
        assert totals.charges == D(charges)
        assert totals.discount == D(discount)
        assert totals.total == D(total)
        sent = sum((x.amount or 0 for x in mapped if isinstance(x, SalesItemLine)), D(0)) - sum(
            (x.amount or 0 for x in mapped if isinstance(x, DiscountLine)), D(0)
        )
        assert sent == totals.total

    def test_total_matches_metering_for_the_documented_sample(self):
        invoice = make_invoice()
        _, totals = invoice_lines(invoice, item_ref=ITEM)
        assert totals.total == money(invoice.total_amount)


class TestLineDescription:
    @pytest.mark.parametrize(
        ("description", "calculation", "expected"),
        [
            ("Flat Fee", "Base", "Flat Fee (Base)"),
            ("Overage Charges", "120 * 0.5", "Overage Charges (120 * 0.5)"),
            ("Tier 1-100", "100 * 0.1", "Tier 1-100 (100 * 0.1)"),
            ("Flat Fee", "Flat Fee", "Flat Fee"),
            ("Flat Fee", "flat fee", "Flat Fee"),
            ("Flat Fee", " Flat Fee ", "Flat Fee"),
            ("Setup Fee", None, "Setup Fee"),
            ("Setup Fee", "", "Setup Fee"),
            ("Setup Fee", "   ", "Setup Fee"),
            (None, "Base", "Line 3 (Base)"),
            ("", None, "Line 3"),
            ("   ", "  ", "Line 3"),
            ("Tier\t1-100", "100 * 0.1", "Tier 1-100 (100 * 0.1)"),
            ("  Usage Charges  ", " 10 * 2 ", "Usage Charges (10 * 2)"),
            ("Volume Charge (Tier 1-10)", "10 * 2", "Volume Charge (Tier 1-10) (10 * 2)"),
            ("Caf\u00e9 \U0001f680", "1 * 1", "Caf\u00e9 \U0001f680 (1 * 1)"),
        ],
    )
    def test_table(self, description, calculation, expected):
        item = AforoInvoiceLine.model_validate(
            {
                "lineNumber": 3,
                "description": description,
                "calculation": calculation,
                "amount": D(1),
            }
        )
        assert line_description(item) == expected

    @pytest.mark.parametrize(("desc_len", "calc_len"), [(5000, 0), (3990, 50), (10, 5000)])
    def test_never_longer_than_qbo_allows(self, desc_len, calc_len):
        item = AforoInvoiceLine.model_validate(
            {
                "lineNumber": 1,
                "description": "d" * desc_len,
                "calculation": "c" * calc_len or None,
                "amount": D(1),
            }
        )
        description = line_description(item)
        assert 0 < len(description) <= 4000
        assert description.startswith("d" * min(desc_len, 4000))


class TestInvoiceDates:
    @pytest.mark.parametrize(
        ("period_end", "created_at", "terms", "txn", "due"),
        [
            (
                "2026-10-31T23:59:59Z",
                "2026-11-01T00:05:00Z",
                30,
                date(2026, 10, 31),
                date(2026, 11, 30),
            ),
            ("2026-10-31T00:00:00Z", None, 30, date(2026, 10, 31), date(2026, 11, 30)),
            ("2026-10-31T10:10:00.123456Z", None, 0, date(2026, 10, 31), date(2026, 10, 31)),
            # An offset is turned into UTC first: the UTC date, as the original service did.
            ("2026-10-31T23:30:00-02:00", None, 30, date(2026, 11, 1), date(2026, 12, 1)),
            ("2026-11-01T01:00:00+03:00", None, 30, date(2026, 10, 31), date(2026, 11, 30)),
            ("2026-12-15T12:00:00Z", None, 30, date(2026, 12, 15), date(2027, 1, 14)),
            ("2028-02-28T12:00:00Z", None, 1, date(2028, 2, 28), date(2028, 2, 29)),
            ("2026-10-31T12:00:00Z", None, 999, date(2026, 10, 31), date(2029, 7, 26)),
            # No period end: the creation date.
            (None, "2026-11-02T08:00:00Z", 15, date(2026, 11, 2), date(2026, 11, 17)),
            (None, None, 30, None, None),
        ],
    )
    def test_table(self, period_end, created_at, terms, txn, due):
        invoice = make_invoice(billingPeriodEnd=period_end, createdAt=created_at)
        assert invoice_dates(invoice, terms_days=terms) == (txn, due)
        payload, _ = map_invoice(invoice, customer_qbo_id="67", item_ref=ITEM, terms_days=terms)
        assert (payload.txn_date, payload.due_date) == (txn, due)


def _map(invoice: AforoInvoice, terms_days: int = 30) -> dict[str, Any]:
    payload, _ = map_invoice(invoice, customer_qbo_id="67", item_ref=ITEM, terms_days=terms_days)
    return entity_payload(payload)


class TestMapInvoice:
    def test_documented_sample_on_the_wire(self):
        body = decode_json(
            b'{"id":42,"organizationId":9,"customerId":9,"subscriptionId":17,"ratePlanId":5,'
            b'"invoiceNumber":"INV-2026-0042","totalAmount":210.00,"modelType":"MONTHLY",'
            b'"billingPeriodStart":"2026-10-01T00:00:00Z","billingPeriodEnd":"2026-10-31T00:00:00Z",'
            b'"status":"DRAFT","notes":null,"createdAt":"2026-11-01T00:00:00Z",'
            b'"updatedAt":"2026-11-01T00:00:00Z","lineItems":['
            b'{"id":2,"lineNumber":2,"description":"Overage Charges","calculation":"Base",'
            b'"amount":10.00,"quantity":null,"unitPrice":null},'
            b'{"id":1,"lineNumber":1,"description":"Flat Fee","calculation":"Base",'
            b'"amount":200.00,"quantity":null,"unitPrice":null}]}'
        )
        assert _map(AforoInvoice.model_validate(body)) == {
            "DocNumber": "INV-2026-0042",
            "TxnDate": date(2026, 10, 31),
            "DueDate": date(2026, 11, 30),
            "CustomerRef": {"value": "67"},
            "CustomerMemo": {"value": "Usage charges for billing period: 2026-10-01 to 2026-10-31"},
            "PrivateNote": "Aforo invoice 42 (INV-2026-0042), organization 9, customer CUST-9, "
            "subscription 17, rate plan 5. Synced by qbsync.",
            "Line": [
                {
                    "Description": "Flat Fee (Base)",
                    "Amount": D("200.00"),
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": "10"},
                        "UnitPrice": D("200.00"),
                        "Qty": D(1),
                    },
                },
                {
                    "Description": "Overage Charges (Base)",
                    "Amount": D("10.00"),
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": {"value": "10"},
                        "UnitPrice": D("10.00"),
                        "Qty": D(1),
                    },
                },
            ],
        }

    @pytest.mark.parametrize(
        ("number", "expected"),
        [
            ("INV-2026-0042", "INV-2026-0042"),
            ("INV-2026-11-000000042", "INV-2026-11-000000042"),  # 21: kept
            ("  INV-7 ", "INV-7"),
        ],
    )
    def test_doc_number_is_the_invoice_number(self, number, expected):
        assert _map(make_invoice(invoiceNumber=number))["DocNumber"] == expected

    @pytest.mark.parametrize("number", ["INV-2026-11-0000000042", "INV-" + "9" * 40])
    def test_a_long_invoice_number_is_fitted_the_same_way_every_time(self, number):
        doc_number = _map(make_invoice(invoiceNumber=number))["DocNumber"]
        assert len(doc_number) == 21
        assert doc_number.startswith(number[:12])
        assert _map(make_invoice(invoiceNumber=number))["DocNumber"] == doc_number

    def test_total_is_left_to_qbo(self):
        # TotalAmt is read-only on an invoice: QBO adds up the lines.
        assert "TotalAmt" not in _map(make_invoice())

    @pytest.mark.parametrize(
        ("start", "end", "memo"),
        [
            ("2026-10-01T00:00:00Z", "2026-10-31T23:59:59Z", "2026-10-01 to 2026-10-31"),
            ("2026-09-30T23:00:00-05:00", "2026-10-31T00:00:00Z", "2026-10-01 to 2026-10-31"),
            (None, "2026-10-31T23:59:59Z", None),
            ("2026-10-01T00:00:00Z", None, None),
            (None, None, None),
        ],
    )
    def test_customer_memo_names_the_billing_period(self, start, end, memo):
        payload = _map(make_invoice(billingPeriodStart=start, billingPeriodEnd=end))
        if memo is None:
            assert "CustomerMemo" not in payload
        else:
            assert payload["CustomerMemo"] == {"value": f"Usage charges for billing period: {memo}"}
            assert len(payload["CustomerMemo"]["value"]) <= 1000

    @pytest.mark.parametrize(
        ("fields", "present", "absent"),
        [
            (
                {},
                [
                    "Aforo invoice 42",
                    "(INV-2026-0042)",
                    "organization 9",
                    "customer CUST-7",
                    "subscription 17",
                    "rate plan 5",
                    "qbsync",
                ],
                [],
            ),
            (
                {"subscriptionId": None, "ratePlanId": None},
                ["Aforo invoice 42", "customer CUST-7"],
                ["subscription", "rate plan"],
            ),
        ],
    )
    def test_private_note_carries_the_aforo_ids(self, fields, present, absent):
        note = _map(make_invoice(**fields))["PrivateNote"]
        for text in present:
            assert text in note
        for text in absent:
            assert text not in note

    def test_private_note_fits_even_with_a_huge_invoice_number(self):
        payload = _map(make_invoice(invoiceNumber="N" * 5000))
        assert len(payload["PrivateNote"]) <= 4000
        assert len(payload["DocNumber"]) == 21

    def test_customer_ref_and_item_ref(self):
        payload, _ = map_invoice(
            make_invoice(), customer_qbo_id="123", item_ref=Ref(value="55"), terms_days=30
        )
        assert payload.customer_ref == Ref(value="123")
        assert payload.line
        assert all(
            x.sales_item_line_detail.item_ref == Ref(value="55")
            for x in payload.line
            if isinstance(x, SalesItemLine)
        )

    def test_returns_the_totals_of_its_lines(self):
        invoice = make_invoice(lineItems=[line(1, "50.00"), line(2, "-7.25")])
        _, totals = map_invoice(invoice, customer_qbo_id="67", item_ref=ITEM, terms_days=30)
        assert (totals.charges, totals.discount, totals.total) == (
            D("50.00"),
            D("7.25"),
            D("42.75"),
        )

    @pytest.mark.parametrize("invoice_id", [1, 42, 9_000_000_000])
    def test_aforo_id(self, invoice_id):
        assert INVOICE_IDS.format(invoice_id) == f"invoice-{invoice_id}"


_NUMBERS = re.compile(r'"(Amount|UnitPrice|Qty)":([^,}\]]+)')


class TestInvoiceOnTheWire:
    @pytest.mark.parametrize(
        ("amount", "expected"),
        [
            ("0.10", "0.10"),
            ("0.20", "0.20"),
            ("0.30", "0.30"),
            ("0.01", "0.01"),
            ("1.1", "1.10"),
            ("2.675", "2.68"),
            ("999999999.99", "999999999.99"),
            ("1E+2", "100.00"),
        ],
    )
    def test_amounts_go_out_as_exact_decimals(self, amount, expected):
        invoice = make_invoice(lineItems=[line(1, amount), line(2, "-0.10")])
        payload, _ = map_invoice(invoice, customer_qbo_id="67", item_ref=ITEM, terms_days=30)
        raw = dumps(entity_payload(payload)).decode()
        # JSON numbers with exactly the digits meant: no float noise, no exponent, no string.
        assert _NUMBERS.findall(raw) == [
            ("Amount", expected),
            ("UnitPrice", expected),
            ("Qty", "1"),
            ("Amount", "0.10"),
        ]
        decoded = json.loads(raw, parse_float=Decimal)
        assert decoded["Line"][0]["Amount"] == D(expected)
