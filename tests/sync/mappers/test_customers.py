"""Aforo customer -> QBO Customer: names, contact details, addresses and safe adoption."""

from __future__ import annotations

from typing import Any

import pytest

from qbsync.aforo.orgs import AforoCustomer
from qbsync.quickbooks.schemas import Customer, PhysicalAddress
from qbsync.quickbooks.wire import entity_payload
from qbsync.sync.mappers.customers import (
    CUSTOMER_IDS,
    base_display_name,
    is_safe_to_adopt,
    map_customer,
    suffixed_display_name,
)
from qbsync.sync.mappers.text import DISPLAY_NAME_MAX

HOME = {
    "customerAddressLine1": "1 Main St",
    "customerAddressLine2": "Suite 200",
    "customerCity": "Mountain View",
    "customerState": "CA",
    "customerPostalCode": "94042",
    "customerCountry": "USA",
}
HOME_ADDR = PhysicalAddress(
    line1="1 Main St",
    line2="Suite 200",
    city="Mountain View",
    country_sub_division_code="CA",
    postal_code="94042",
    country="USA",
)
BILLING = {
    "billingAddressLine1": "PO Box 9",
    "billingAddressLine2": None,
    "billingCity": "Austin",
    "billingState": "TX",
    "billingPostalCode": "73301",
    "billingCountry": "USA",
}
BILLING_ADDR = PhysicalAddress(
    line1="PO Box 9",
    city="Austin",
    country_sub_division_code="TX",
    postal_code="73301",
    country="USA",
)
# The same address as HOME, in the billing fields (what the UI stores when it copies it).
BILLING_AS_HOME = {
    "billingAddressLine1": "1 Main St",
    "billingAddressLine2": "Suite 200",
    "billingCity": "Mountain View",
    "billingState": "CA",
    "billingPostalCode": "94042",
    "billingCountry": "USA",
}


def make_customer(**fields: Any) -> AforoCustomer:
    """A customer as the org service answers it: camelCase, nulls included."""
    wire: dict[str, Any] = {
        "customerId": 5,
        "organizationId": 9,
        "customerName": "Acme Corp",
        "companyName": None,
        "companyType": "BUSINESS",
        "primaryEmail": None,
        "additionalEmailRecipients": None,
        "phoneNumber": None,
        "status": "ACTIVE",
        "billingSameAsCustomer": None,
    }
    wire.update(fields)
    return AforoCustomer.model_validate(wire)


def mapped(**fields: Any) -> Customer:
    customer = make_customer(**fields)
    return map_customer(customer, display_name=base_display_name(customer))


def _nones(value: object, path: str = "") -> list[str]:
    """Paths to None values anywhere in a dumped payload."""
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _nones(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _nones(item, f"{path}[{index}]")]
    return []


class TestCustomerAforoId:
    @pytest.mark.parametrize(("customer_id", "expected"), [(5, "CUST-5"), (123456, "CUST-123456")])
    def test_is_the_original_services_id(self, customer_id, expected):
        assert CUSTOMER_IDS.format(customer_id) == expected


class TestBaseDisplayName:
    @pytest.mark.parametrize(
        ("fields", "expected"),
        [
            ({"customerName": "Acme Corp"}, "Acme Corp"),
            ({"customerName": "Acme Corp", "companyName": "Acme Holdings"}, "Acme Corp"),
            ({"customerName": None, "companyName": "Acme Holdings"}, "Acme Holdings"),
            ({"customerName": "", "companyName": "Acme Holdings"}, "Acme Holdings"),
            ({"customerName": "   ", "companyName": "Acme Holdings"}, "Acme Holdings"),
            ({"customerName": "\t\n", "companyName": " Acme  Holdings "}, "Acme Holdings"),
            ({"customerName": None, "companyName": None}, "Aforo customer 5"),
            ({"customerName": " ", "companyName": "\n"}, "Aforo customer 5"),
            ({"customerName": "  Jane   Doe "}, "Jane Doe"),
            ({"customerName": "Acme: EU"}, "Acme - EU"),
            ({"customerName": "Acme\tEU\nBranch"}, "Acme EU Branch"),
            ({"customerName": "Caf\u00e9 Ol\u00e9 \U0001f680"}, "Caf\u00e9 Ol\u00e9 \U0001f680"),
            ({"customerName": "n" * 600}, "n" * DISPLAY_NAME_MAX),
        ],
    )
    def test_table(self, fields, expected):
        assert base_display_name(make_customer(**fields)) == expected

    def test_fallback_uses_the_id_the_ui_sends(self):
        customer = AforoCustomer.model_validate({"id": 77, "customerName": None})
        assert base_display_name(customer) == "Aforo customer 77"


class TestSuffixedDisplayName:
    @pytest.mark.parametrize(
        ("fields", "expected"),
        [
            ({"customerName": "Acme Corp"}, "Acme Corp (CUST-5)"),
            ({"customerName": None, "companyName": "Acme Ltd"}, "Acme Ltd (CUST-5)"),
            ({"customerName": None}, "Aforo customer 5 (CUST-5)"),
            ({"customerName": "Acme: EU"}, "Acme - EU (CUST-5)"),
            ({"customerId": 123456, "customerName": "Acme"}, "Acme (CUST-123456)"),
        ],
    )
    def test_table(self, fields, expected):
        assert suffixed_display_name(make_customer(**fields)) == expected

    @pytest.mark.parametrize("length", [490, 491, 492, 500, 600])
    def test_long_names_fit_and_keep_the_id(self, length):
        customer = make_customer(customerName="n" * length)
        name = suffixed_display_name(customer)
        assert len(name) <= DISPLAY_NAME_MAX
        assert name.endswith(" (CUST-5)")
        assert name != base_display_name(customer)


class TestMapCustomerContact:
    @pytest.mark.parametrize(
        ("email", "expected"),
        [
            ("billing@acme.example", "billing@acme.example"),
            ("  billing@acme.example \n", "billing@acme.example"),
            ("JANE.DOE@ACME.EXAMPLE", "JANE.DOE@ACME.EXAMPLE"),
            ("first.last+tag@sub.acme.co.uk", "first.last+tag@sub.acme.co.uk"),
            ("o'brien@acme.example", "o'brien@acme.example"),
            ("a" * 87 + "@acme.example", "a" * 87 + "@acme.example"),  # exactly 100
            ("a" * 88 + "@acme.example", None),  # 101: dropped, never cut
            ("not-an-email", None),
            ("jane@localhost", None),
            ("jane@@acme.example", None),
            ("jane doe@acme.example", None),
            ("@acme.example", None),
            ("jane@", None),
            ("jane@acme.", None),
            ("a@b.co, c@d.co", None),
            ("", None),
            ("   ", None),
            (None, None),
        ],
    )
    def test_email_kept_only_when_valid(self, email, expected):
        customer = mapped(primaryEmail=email)
        address = customer.primary_email_addr.address if customer.primary_email_addr else None
        assert address == expected

    @pytest.mark.parametrize(
        ("phone", "expected"),
        [
            ("+1 555 0100", "+1 555 0100"),
            ("  (555) 555-0100  ", "(555) 555-0100"),
            ("+44\t20 7946 0958", "+44 20 7946 0958"),
            ("1" * 30, "1" * 30),
            ("1" * 40, "1" * 30),
            ("", None),
            ("  ", None),
            (None, None),
        ],
    )
    def test_phone(self, phone, expected):
        customer = mapped(phoneNumber=phone)
        number = customer.primary_phone.free_form_number if customer.primary_phone else None
        assert number == expected

    @pytest.mark.parametrize(
        ("company", "expected"),
        [
            ("Acme Holdings", "Acme Holdings"),
            ("  Acme\tHoldings ", "Acme Holdings"),
            ("Acme: Holdings", "Acme: Holdings"),  # only names refuse colons
            ("c" * 150, "c" * 100),
            ("", None),
            (None, None),
        ],
    )
    def test_company_name(self, company, expected):
        assert mapped(companyName=company).company_name == expected

    @pytest.mark.parametrize("customer_id", [5, 50, 123456])
    def test_notes_carry_the_aforo_id(self, customer_id):
        customer = mapped(customerId=customer_id)
        assert customer.notes == f"Aforo customer CUST-{customer_id}"

    @pytest.mark.parametrize("name", ["Acme Corp", "Acme Corp (CUST-5)"])
    def test_display_name_is_the_one_given(self, name):
        assert map_customer(make_customer(), display_name=name).display_name == name


class TestMapCustomerAddresses:
    @pytest.mark.parametrize(
        ("fields", "bill", "ship"),
        [
            pytest.param({}, None, None, id="no-address"),
            pytest.param(
                {**HOME, "billingSameAsCustomer": True}, HOME_ADDR, None, id="same-as-customer"
            ),
            pytest.param(
                {**HOME, **BILLING, "billingSameAsCustomer": True},
                HOME_ADDR,
                None,
                id="same-as-customer-ignores-stale-billing-fields",
            ),
            pytest.param(
                {**HOME, **BILLING, "billingSameAsCustomer": False},
                BILLING_ADDR,
                HOME_ADDR,
                id="different-billing-ships-to-customer-address",
            ),
            pytest.param(
                {**HOME, **BILLING}, BILLING_ADDR, HOME_ADDR, id="flag-missing-billing-given"
            ),
            pytest.param(
                {**HOME, "billingSameAsCustomer": False},
                HOME_ADDR,
                None,
                id="billing-empty-falls-back-to-customer-address",
            ),
            pytest.param(
                {**HOME, **BILLING_AS_HOME, "billingSameAsCustomer": False},
                HOME_ADDR,
                None,
                id="billing-equal-to-customer-no-ship",
            ),
            pytest.param(
                {**BILLING, "billingSameAsCustomer": False}, BILLING_ADDR, None, id="only-billing"
            ),
            pytest.param(
                {"customerCity": " Paris ", "customerCountry": "France", "billingCity": "  "},
                PhysicalAddress(city="Paris", country="France"),
                None,
                id="partial-and-blank-fields",
            ),
            pytest.param(
                {"customerAddressLine1": "  ", "customerCity": "\t"}, None, None, id="all-blank"
            ),
        ],
    )
    def test_table(self, fields, bill, ship):
        customer = mapped(**fields)
        assert customer.bill_addr == bill
        assert customer.ship_addr == ship

    def test_fields_land_where_qbo_expects_them(self):
        payload = entity_payload(mapped(**HOME, **BILLING, billingSameAsCustomer=False))
        assert payload["BillAddr"] == {
            "Line1": "PO Box 9",
            "City": "Austin",
            "CountrySubDivisionCode": "TX",
            "PostalCode": "73301",
            "Country": "USA",
        }
        assert payload["ShipAddr"]["Line2"] == "Suite 200"

    @pytest.mark.parametrize(
        ("field", "value", "attribute", "limit"),
        [
            ("customerAddressLine1", "l" * 600, "line1", 500),
            ("customerAddressLine2", "l" * 600, "line2", 500),
            ("customerCity", "c" * 300, "city", 255),
            ("customerState", "s" * 300, "country_sub_division_code", 255),
            ("customerPostalCode", "9" * 40, "postal_code", 30),
            ("customerCountry", "c" * 300, "country", 255),
        ],
    )
    def test_address_fields_are_cut_to_qbo_limits(self, field, value, attribute, limit):
        customer = mapped(**{field: value, "billingSameAsCustomer": True})
        assert customer.bill_addr is not None
        assert getattr(customer.bill_addr, attribute) == value[:limit]

    def test_newlines_in_an_address_line_are_folded(self):
        customer = mapped(customerAddressLine1="1 Main St\nBuilding 4", billingSameAsCustomer=True)
        assert customer.bill_addr == PhysicalAddress(line1="1 Main St Building 4")


class TestMapCustomerPayload:
    def test_minimal_customer_sends_only_name_and_notes(self):
        assert entity_payload(mapped()) == {
            "DisplayName": "Acme Corp",
            "Notes": "Aforo customer CUST-5",
        }

    def test_full_customer_on_the_wire(self):
        payload = entity_payload(
            mapped(
                companyName="Acme Holdings",
                primaryEmail="billing@acme.example",
                phoneNumber="+1 555 0100",
                billingSameAsCustomer=True,
                **HOME,
            )
        )
        assert payload == {
            "DisplayName": "Acme Corp",
            "CompanyName": "Acme Holdings",
            "PrimaryEmailAddr": {"Address": "billing@acme.example"},
            "PrimaryPhone": {"FreeFormNumber": "+1 555 0100"},
            "BillAddr": {
                "Line1": "1 Main St",
                "Line2": "Suite 200",
                "City": "Mountain View",
                "CountrySubDivisionCode": "CA",
                "PostalCode": "94042",
                "Country": "USA",
            },
            "Notes": "Aforo customer CUST-5",
        }

    @pytest.mark.parametrize(
        "fields",
        [
            {},
            {"primaryEmail": "bad", "phoneNumber": " ", "companyName": ""},
            {**HOME, **BILLING, "billingSameAsCustomer": False, "primaryEmail": "a@b.co"},
            {"customerCity": "Paris", "billingPostalCode": "75001"},
        ],
    )
    def test_nothing_is_sent_as_null(self, fields):
        customer = mapped(**fields)
        assert _nones(customer.model_dump(by_alias=True, exclude_none=True)) == []
        assert _nones(entity_payload(customer)) == []


def _qbo_customer(notes: str | None = None, email: str | None = None) -> Customer:
    """An existing customer as QBO answers a query."""
    body: dict[str, Any] = {"Id": "67", "SyncToken": "3", "DisplayName": "Acme Corp"}
    if notes is not None:
        body["Notes"] = notes
    if email is not None:
        body["PrimaryEmailAddr"] = {"Address": email}
    return Customer.model_validate(body)


class TestIsSafeToAdopt:
    @pytest.mark.parametrize(
        ("notes", "theirs", "ours", "expected"),
        [
            # Our id in their notes: written by us or by the original service.
            ("Aforo customer CUST-5", None, None, True),
            ("billing-platform id cust-5", None, None, True),
            ("Synced from Aforo (CUST-5).", None, None, True),
            ("CUST-5", "other@else.example", "billing@acme.example", True),
            # Another customer's id is not ours, even when ours is a prefix of it.
            ("Aforo customer CUST-50", None, "billing@acme.example", False),
            ("Aforo customer CUST-15", None, None, False),
            ("Aforo customer XCUST-5", None, None, False),
            ("", None, None, False),
            # The same e-mail, whatever its case and padding.
            (None, "billing@acme.example", "billing@acme.example", True),
            (None, "Billing@ACME.example", "billing@acme.example", True),
            (None, " billing@acme.example ", "billing@acme.example", True),
            ("Aforo customer CUST-50", "billing@acme.example", "billing@acme.example", True),
            # Anything else is someone else's customer with the same name.
            (None, "jane@acme.example", "billing@acme.example", False),
            (None, None, "billing@acme.example", False),
            (None, "billing@acme.example", None, False),
            (None, None, None, False),
            ("Imported from Xero", None, None, False),
        ],
    )
    def test_table(self, notes, theirs, ours, expected):
        wanted = mapped(primaryEmail=ours)
        existing = _qbo_customer(notes=notes, email=theirs)
        assert is_safe_to_adopt(existing, wanted, CUSTOMER_IDS.format(5)) is expected

    def test_a_record_we_created_is_always_adoptable(self):
        wanted = mapped(customerId=5, primaryEmail="billing@acme.example")
        existing = _qbo_customer(notes=wanted.notes)
        assert is_safe_to_adopt(existing, wanted, CUSTOMER_IDS.format(5))
