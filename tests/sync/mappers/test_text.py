"""Text rules for QBO names, notes and numbers, the payload hash and the request id."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal

import pytest

from qbsync.quickbooks.schemas import (
    Customer,
    EmailAddress,
    Invoice,
    Payment,
    Ref,
    SalesItemLine,
    SalesItemLineDetail,
)
from qbsync.quickbooks.transport import check_request_id
from qbsync.sync.mappers.text import (
    DISPLAY_NAME_MAX,
    DOC_NUMBER_MAX,
    clean_name,
    clean_text,
    fit_doc_number,
    payload_hash,
    request_id,
    with_suffix,
)


class TestCleanText:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (None, None),
            ("", None),
            ("   ", None),
            ("\t\n\r", None),
            ("\x00\x07\x1f", None),
            ("Acme", "Acme"),
            ("  Acme  ", "Acme"),
            ("Acme\tCorp", "Acme Corp"),
            ("Acme\nCorp", "Acme Corp"),
            ("Acme\r\nCorp", "Acme Corp"),
            ("Acme \x00\x07 Corp", "Acme Corp"),
            ("Acme\x7fCorp", "Acme Corp"),
            ("Acme\x9bCorp", "Acme Corp"),  # C1 control (CSI)
            ("Acme\ud800Corp", "Acme Corp"),  # lone surrogate: UTF-8 cannot encode it
            ("Acme     Corp", "Acme Corp"),
            ("Acme\u00a0Corp", "Acme Corp"),  # no-break space
            ("Acme\u2028Corp", "Acme Corp"),  # line separator
            ("Cafe\u0301", "Caf\u00e9"),  # NFC composes e + combining acute
            ("\uff21\uff22\uff23", "\uff21\uff22\uff23"),  # NFC, not NFKC: full-width kept
            ("Rocket \U0001f680 Labs", "Rocket \U0001f680 Labs"),
            ('O\'Brien "Q" \\ Sons', 'O\'Brien "Q" \\ Sons'),
        ],
    )
    def test_cleans(self, value, expected):
        assert clean_text(value, max_len=500) == expected

    @pytest.mark.parametrize(
        ("value", "max_len", "expected"),
        [
            ("abcdef", 3, "abc"),
            ("abc", 3, "abc"),
            ("abc def", 4, "abc"),  # the cut lands after a space: no trailing space
            ("ab   cd", 3, "ab"),  # folded first ("ab cd"), then cut and trimmed
            ("   abc", 2, "ab"),  # trimmed before the cut
            ("Cafe\u0301s", 4, "Caf\u00e9"),  # normalized before the cut: the accent survives
            ("x" * 600, 500, "x" * 500),
            ("a b", 1, "a"),
        ],
    )
    def test_cuts_to_max_len_without_trailing_space(self, value, max_len, expected):
        result = clean_text(value, max_len=max_len)
        assert result == expected
        assert result is not None
        assert len(result) <= max_len
        assert result == result.strip()

    @pytest.mark.parametrize(
        "value",
        ["  a\tb\n", "Cafe\u0301", "x" * 40, "a  :  b", "\x00z\x9f", "\U0001f680 \U0001f680"],
    )
    def test_is_idempotent(self, value):
        once = clean_text(value, max_len=30)
        assert clean_text(once, max_len=30) == once

    @pytest.mark.parametrize("value", ["a\x00b", "a\x1fb", "a\x85b", "a\x9fb", "a\udfffb"])
    def test_result_encodes_as_utf8(self, value):
        result = clean_text(value, max_len=10)
        assert result == "a b"
        assert result.encode("utf-8")


class TestCleanName:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("Acme:Corp", "Acme - Corp"),
            ("Acme : Corp", "Acme - Corp"),
            ("Acme:\tCorp", "Acme - Corp"),
            ("Parent:Child:Grandchild", "Parent - Child - Grandchild"),
            ("Acme\tCorp", "Acme Corp"),
            ("Acme\nCorp", "Acme Corp"),
            ("Acme\r\nCorp", "Acme Corp"),
            ("  Acme  Corp  ", "Acme Corp"),
            ('O\'Brien "Quotes" & Sons', 'O\'Brien "Quotes" & Sons'),
            ("Back\\slash Ltd", "Back\\slash Ltd"),
            ("Acme, Inc. (EU) #1; ~*+_-?@!", "Acme, Inc. (EU) #1; ~*+_-?@!"),
            ("Soci\u00e9t\u00e9 G\u00e9n\u00e9rale", "Soci\u00e9t\u00e9 G\u00e9n\u00e9rale"),
            ("\u6771\u4eac\u682a\u5f0f\u4f1a\u793e", "\u6771\u4eac\u682a\u5f0f\u4f1a\u793e"),
            ("Rocket \U0001f680 Labs", "Rocket \U0001f680 Labs"),
            ("M\u00fcller\u2013Schmidt GmbH", "M\u00fcller\u2013Schmidt GmbH"),
            (None, None),
            ("", None),
            (" \t\n ", None),
        ],
    )
    def test_cleans(self, value, expected):
        assert clean_name(value, max_len=DISPLAY_NAME_MAX) == expected

    @pytest.mark.parametrize(
        "value",
        ["a:b", "a\tb", "a\nb", "a\rb", ":::", "x:" * 300, "Acme \t: \n Corp", "a\x0bb\x0cc"],
    )
    def test_never_contains_what_qbo_refuses(self, value):
        result = clean_name(value, max_len=DISPLAY_NAME_MAX)
        assert result is not None
        assert not set(result) & {":", "\t", "\n", "\r"}
        assert len(result) <= DISPLAY_NAME_MAX

    def test_cuts_a_long_name_to_the_limit(self):
        assert clean_name("n" * 600, max_len=DISPLAY_NAME_MAX) == "n" * 500


class TestWithSuffix:
    @pytest.mark.parametrize(
        ("name", "suffix", "max_len", "expected"),
        [
            ("Acme Corp", "CUST-5", 500, "Acme Corp (CUST-5)"),
            ("Aforo customer 5", "CUST-5", 500, "Aforo customer 5 (CUST-5)"),
            ("x" * 491, "CUST-5", 500, "x" * 491 + " (CUST-5)"),  # fits exactly
            ("x" * 492, "CUST-5", 500, "x" * 491 + " (CUST-5)"),
            ("x" * 600, "CUST-5", 500, "x" * 491 + " (CUST-5)"),
            ("abc defgh", "S", 8, "abc (S)"),  # the cut lands on a space: no double space
            ("", "CUST-5", 500, "(CUST-5)"),  # no leading space
        ],
    )
    def test_table(self, name, suffix, max_len, expected):
        result = with_suffix(name, suffix, max_len=max_len)
        assert result == expected
        assert len(result) <= max_len

    @pytest.mark.parametrize("name_len", [0, 1, 100, 480, 490, 491, 492, 499, 500, 501, 600, 5000])
    @pytest.mark.parametrize("suffix", ["CUST-5", "CUST-1234567890"])
    def test_fits_and_keeps_the_suffix(self, name_len, suffix):
        result = with_suffix("n" * name_len, suffix, max_len=DISPLAY_NAME_MAX)
        assert len(result) <= DISPLAY_NAME_MAX
        assert result.endswith(f"({suffix})")
        assert result == result.strip()

    def test_a_suffix_longer_than_the_limit_still_fits(self):
        assert len(with_suffix("Acme", "s" * 20, max_len=10)) <= 10


# Long numbers that share their first 12 characters (what the fitted form keeps).
_LONG_NUMBERS = [f"INV-2026-11-{n:06d}-ACME" for n in range(200)] + [
    f"INV-2026-11-000000-ACME{'x' * n}" for n in range(1, 20)
]


class TestFitDocNumber:
    @pytest.mark.parametrize(
        ("number", "expected"),
        [
            ("INV-1", "INV-1"),
            ("INV-2026-0001", "INV-2026-0001"),
            ("I" * DOC_NUMBER_MAX, "I" * DOC_NUMBER_MAX),
            ("  INV-1  ", "INV-1"),
            (" " + "I" * DOC_NUMBER_MAX + " ", "I" * DOC_NUMBER_MAX),
        ],
    )
    def test_short_numbers_are_kept(self, number, expected):
        assert fit_doc_number(number) == expected

    @pytest.mark.parametrize("length", [22, 23, 30, 64, 500])
    def test_long_numbers_fit_exactly(self, length):
        number = ("INV-2026-11-" + "9" * length)[:length]
        fitted = fit_doc_number(number)
        assert len(fitted) == DOC_NUMBER_MAX
        assert fitted.startswith(number[:12])
        assert fit_doc_number(number) == fitted  # deterministic

    def test_long_numbers_never_collide(self):
        fitted = [fit_doc_number(number) for number in _LONG_NUMBERS]
        assert all(len(doc) == DOC_NUMBER_MAX for doc in fitted)
        assert len(set(fitted)) == len(_LONG_NUMBERS)


def _invoice(amount: str, qty: str = "1", txn_date: date | None = None) -> Invoice:
    return Invoice(
        customer_ref=Ref(value="67"),
        txn_date=txn_date,
        line=[
            SalesItemLine(
                amount=Decimal(amount),
                sales_item_line_detail=SalesItemLineDetail(
                    item_ref=Ref(value="10"), qty=Decimal(qty), unit_price=Decimal(amount)
                ),
            )
        ],
    )


class TestPayloadHash:
    @pytest.mark.parametrize(
        ("a", "b"),
        [
            ("210.00", "210.0"),
            ("210.00", "210"),
            ("210", "2.1E+2"),
            ("0.10", "0.1"),
            ("0.00", "0"),
            ("0.00", "-0.00"),
            ("999999999.99", "999999999.990"),
        ],
    )
    def test_same_amount_in_another_scale_hashes_the_same(self, a, b):
        # QBO stores money at 2 decimals: 210.0 and 210.00 are one amount, not a change.
        assert payload_hash(_invoice(a)) == payload_hash(_invoice(b))
        assert payload_hash(Payment(total_amt=Decimal(a))) == payload_hash(
            Payment(total_amt=Decimal(b))
        )

    @pytest.mark.parametrize(
        ("a", "b"),
        [
            ("210.00", "210.01"),
            ("0.10", "0.01"),
            ("10", "1"),
            ("100", "1"),
            ("1.5", "15"),
            ("0.01", "0"),
            ("5", "-5"),
        ],
    )
    def test_different_amounts_hash_differently(self, a, b):
        assert payload_hash(_invoice(a)) != payload_hash(_invoice(b))
        assert payload_hash(Payment(total_amt=Decimal(a))) != payload_hash(
            Payment(total_amt=Decimal(b))
        )

    def test_quantity_scale_does_not_matter(self):
        assert payload_hash(_invoice("5.00", qty="1")) == payload_hash(_invoice("5.00", qty="1.0"))

    def test_independent_of_key_order(self):
        first = Customer.model_validate(
            {"DisplayName": "Acme", "Notes": "n", "PrimaryEmailAddr": {"Address": "a@b.co"}}
        )
        second = Customer.model_validate(
            {"PrimaryEmailAddr": {"Address": "a@b.co"}, "Notes": "n", "DisplayName": "Acme"}
        )
        assert payload_hash(first) == payload_hash(second)

    def test_fields_left_unset_do_not_count(self):
        assert payload_hash(Customer(display_name="Acme")) == payload_hash(
            Customer(display_name="Acme", notes=None, primary_email_addr=None)
        )

    @pytest.mark.parametrize(
        "other",
        [
            Customer(display_name="Acme Corp"),
            Customer(display_name="acme"),
            Customer(display_name="Acme", notes=""),
            Customer(display_name="Acme", primary_email_addr=EmailAddress(address="a@b.co")),
        ],
    )
    def test_any_change_changes_the_hash(self, other):
        assert payload_hash(Customer(display_name="Acme")) != payload_hash(other)

    def test_dates_count(self):
        assert payload_hash(_invoice("1", txn_date=date(2026, 1, 1))) != payload_hash(
            _invoice("1", txn_date=date(2026, 1, 2))
        )

    def test_is_a_sha256_hex_digest(self):
        assert re.fullmatch(r"[0-9a-f]{64}", payload_hash(_invoice("1")))

    def test_format_is_frozen(self):
        # Stored in every mapping: changing the format re-updates every synced record once.
        payload = Customer(
            display_name="Acme \u00e9", primary_email_addr=EmailAddress(address="a@b.co")
        )
        canonical = '{"DisplayName":"Acme \u00e9","PrimaryEmailAddr":{"Address":"a@b.co"}}'
        assert payload_hash(payload) == hashlib.sha256(canonical.encode()).hexdigest()

    def test_format_of_amounts_is_frozen(self):
        canonical = '{"TotalAmt":"210.5","TxnDate":"2026-01-31"}'
        payload = Payment(total_amt=Decimal("210.50"), txn_date=date(2026, 1, 31))
        assert payload_hash(payload) == hashlib.sha256(canonical.encode()).hexdigest()


class TestRequestId:
    BASE = ("9130357992222186", "INVOICE", "invoice-42", "create")

    def test_is_deterministic(self):
        assert request_id(*self.BASE) == request_id(*self.BASE)

    @pytest.mark.parametrize(
        "parts",
        [
            BASE,
            ("1",),
            (),
            ("9130357992222186", "CUSTOMER", "CUST-5", "create", "n" * 500),
            ("r" * 1000, None, 0, Decimal("1.5")),
        ],
    )
    def test_is_a_valid_qbo_requestid(self, parts):
        rid = request_id(*parts)
        assert len(rid) <= 50
        assert check_request_id(rid) == rid

    @pytest.mark.parametrize("index", range(len(BASE)))
    def test_differs_when_any_part_differs(self, index):
        changed = list(self.BASE)
        changed[index] = changed[index] + "x"
        assert request_id(*changed) != request_id(*self.BASE)

    @pytest.mark.parametrize(
        "other",
        [
            ("9130357992222186", "INVOICE", "invoice-42"),
            ("9130357992222186", "INVOICE", "invoice-42", "create", "again"),
            ("INVOICE", "9130357992222186", "invoice-42", "create"),
            ("9130357992222186", "INVOICE", "invoice-42", "void"),
            ("9130357992222187", "INVOICE", "invoice-42", "create"),
        ],
    )
    def test_differs_for_another_write(self, other):
        assert request_id(*other) != request_id(*self.BASE)
