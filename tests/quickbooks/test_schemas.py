"""Wire models and the JSON codec: casing, unknown fields, line types, exact Decimal money."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from qbsync.quickbooks import wire
from qbsync.quickbooks.schemas import (
    ENTITY_MODELS,
    BatchItemRequest,
    BatchItemResponse,
    Customer,
    DescriptionOnlyLine,
    DiscountLine,
    Invoice,
    OtherLine,
    Payment,
    Ref,
    SalesItemLine,
    SubTotalLine,
)


class TestCasing:
    def test_attributes_are_lower_case_elements_pascal(self) -> None:
        customer = Customer(
            id="1",
            sync_token="0",
            sparse=True,
            domain="QBO",
            currency_ref=Ref(value="USD", name="US Dollar"),
        )
        dumped = customer.model_dump(exclude_none=True)
        assert dumped == {
            "Id": "1",
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": True,
            "CurrencyRef": {"value": "USD", "name": "US Dollar"},
        }

    def test_acronym_aliases(self) -> None:
        payment = Payment.model_validate({"ARAccountRef": {"value": "84"}})
        assert payment.ar_account_ref == Ref(value="84")
        invoice = Invoice.model_validate({"AllowOnlineACHPayment": True})
        assert invoice.allow_online_ach_payment is True

    def test_batch_attributes(self) -> None:
        request = BatchItemRequest.model_validate(
            {
                "bId": "b1",
                "operation": "update",
                "optionsData": "void",
                "Payment": {"Id": "1", "SyncToken": "0"},
            }
        )
        assert (request.b_id, request.operation, request.options_data) == ("b1", "update", "void")
        assert isinstance(request.entity, Payment)
        response = BatchItemResponse.model_validate({"bId": "b1", "Fault": {"Error": []}})
        assert response.fault is not None
        assert response.entity is None

    def test_unknown_fields_are_ignored_and_names_populate(self) -> None:
        customer = Customer.model_validate({"DisplayName": "A", "FutureField": {"x": 1}})
        assert customer.display_name == "A"
        assert "FutureField" not in customer.model_dump()
        assert Customer(display_name="A") == customer

    def test_registry(self) -> None:
        assert ENTITY_MODELS["Invoice"] is Invoice
        assert Invoice.url_segment() == "invoice"


class TestLines:
    def test_line_types_are_picked_by_detail_type(self) -> None:
        invoice = Invoice.model_validate(
            {
                "Line": [
                    {
                        "Amount": 1,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                    },
                    {
                        "Amount": 1,
                        "DetailType": "DiscountLineDetail",
                        "DiscountLineDetail": {"PercentBased": False},
                    },
                    {"Amount": 2, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}},
                    {"Description": "note", "DetailType": "DescriptionOnly"},
                    {"Amount": 5, "DetailType": "GroupLineDetail", "GroupLineDetail": {"x": 1}},
                ]
            }
        )
        assert invoice.line is not None
        assert [type(line) for line in invoice.line] == [
            SalesItemLine,
            DiscountLine,
            SubTotalLine,
            DescriptionOnlyLine,
            OtherLine,
        ]
        assert invoice.line[4].detail_type == "GroupLineDetail"

    def test_sales_line_needs_its_detail(self) -> None:
        with pytest.raises(ValueError, match="SalesItemLineDetail"):
            Invoice.model_validate({"Line": [{"DetailType": "SalesItemLineDetail"}]})

    def test_unset_lines_are_not_sent(self) -> None:
        # A sparse update must never carry an empty Line: it would delete every line.
        assert "Line" not in wire.entity_payload(Invoice(id="1", sync_token="0"))


class TestMetaData:
    def test_pacific_times_become_utc(self) -> None:
        customer = Customer.model_validate(
            {"MetaData": {"CreateTime": "2015-07-24T10:33:39-07:00"}}
        )
        assert customer.meta_data is not None
        assert customer.meta_data.create_time == datetime(2015, 7, 24, 17, 33, 39, tzinfo=UTC)
        assert customer.meta_data.create_time.tzinfo is UTC


class TestWire:
    def test_decimals_keep_their_digits(self) -> None:
        body = wire.dumps(
            {
                "a": Decimal("0.10"),
                "b": Decimal("1E+2"),
                "c": Decimal("0.1") * 3,
                "d": Decimal("-0.0000001"),
                "e": 7,
                "f": True,
                "g": None,
            }
        )
        assert body == b'{"a":0.10,"b":100,"c":0.3,"d":-0.0000001,"e":7,"f":true,"g":null}'
        assert json.loads(body, parse_float=Decimal)["a"] == Decimal("0.10")

    def test_reading_never_goes_through_float(self) -> None:
        document = wire.loads(b'{"TotalAmt": 1234567890.1234567, "Balance": 100.0}')
        assert document["TotalAmt"] == Decimal("1234567890.1234567")
        assert str(document["Balance"]) == "100.0"

    def test_strings_dates_and_nesting(self) -> None:
        pacific = timezone(timedelta(hours=-8))
        body = wire.dumps(
            {
                "s": 'Amy\u2019s "Bird" ü',
                "d": date(2025, 1, 2),
                "t": datetime(2025, 1, 2, 3, 4, tzinfo=pacific),
                "l": [1, [2]],
                "o": {},
            }
        )
        assert json.loads(body) == {
            "s": 'Amy\u2019s "Bird" ü',
            "d": "2025-01-02",
            "t": "2025-01-02T03:04:00-08:00",
            "l": [1, [2]],
            "o": {},
        }
        assert "ü".encode() in body  # UTF-8, not \\u escapes

    def test_control_characters_are_escaped_and_keys_are_strings(self) -> None:
        body = wire.dumps({"memo": "a\nb\t\x00\x1f\\", 7: [True, False, -3]})
        assert body == b'{"memo":"a\\nb\\t\\u0000\\u001f\\\\","7":[true,false,-3]}'
        assert json.loads(body) == {"memo": "a\nb\t\x00\x1f\\", "7": [True, False, -3]}

    @pytest.mark.parametrize(
        "bad",
        [Decimal("NaN"), Decimal("Infinity"), datetime(2025, 1, 1), 1.5, b"bytes", object()],  # noqa: DTZ001
    )
    def test_refuses_what_qbo_cannot_take(self, bad: object) -> None:
        with pytest.raises((ValueError, TypeError)):
            wire.dumps({"x": bad})
