"""Wire details: Decimal JSON, QBO timestamps, and the XSD-derived property sets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import xmlschema

from qbo_emulator import clock, properties
from qbo_emulator.wire import WireError, dumps, loads
from support import XSD_DIR

XSD = XSD_DIR / "IntuitRestServiceDef.xsd"
NAMESPACE = "{http://schema.intuit.com/finance/v3}"


class TestJson:
    def test_decimal_goes_out_as_a_number_verbatim(self) -> None:
        encoded = dumps(
            {"Amount": Decimal("100.00"), "Qty": Decimal("4.5"), "Big": Decimal("1E+2"), "n": None}
        )
        assert encoded == b'{"Amount":100.00,"Qty":4.5,"Big":100,"n":null}'
        assert json.loads(encoded)["Amount"] == 100

    def test_non_ascii_text_is_utf8(self) -> None:
        name = "Caf\u00e9 \u2019s"
        assert dumps({"DisplayName": name}) == ('{"DisplayName":"' + name + '"}').encode()

    def test_money_is_parsed_as_decimal(self) -> None:
        assert loads(b'{"Amount": 0.1}') == {"Amount": Decimal("0.1")}

    @pytest.mark.parametrize("raw", [b"[1]", b"{", b"\xff"])
    def test_only_json_objects(self, raw: bytes) -> None:
        with pytest.raises(WireError):
            loads(raw)

    def test_floats_are_refused(self) -> None:
        with pytest.raises(TypeError):
            dumps({"x": 0.1})


class TestClock:
    def test_meta_timestamp_is_pacific_with_offset(self) -> None:
        moment = datetime(2020, 9, 29, 12, 58, 16, 187000, tzinfo=UTC)
        assert clock.meta_timestamp(moment) == "2020-09-29T05:58:16-07:00"
        assert clock.response_time(moment) == "2020-09-29T05:58:16.187-07:00"

    def test_winter_offset(self) -> None:
        assert clock.meta_timestamp(datetime(2020, 1, 15, 20, 0, tzinfo=UTC)).endswith("-08:00")


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


@pytest.mark.parametrize(
    ("type_name", "known"),
    [
        ("Customer", properties.CUSTOMER_PROPERTIES),
        ("Item", properties.ITEM_PROPERTIES),
        ("Account", properties.ACCOUNT_PROPERTIES),
        ("Invoice", properties.INVOICE_PROPERTIES),
        ("Payment", properties.PAYMENT_PROPERTIES),
        ("Line", properties.LINE_PROPERTIES),
        ("SalesItemLineDetail", properties.SALES_ITEM_LINE_DETAIL_PROPERTIES),
        ("DiscountLineDetail", properties.DISCOUNT_LINE_DETAIL_PROPERTIES),
        ("LinkedTxn", properties.LINKED_TXN_PROPERTIES),
        ("Preferences", properties.PREFERENCES_PROPERTIES),
        ("CompanyInfo", properties.COMPANY_INFO_PROPERTIES),
    ],
)
def test_properties_match_xsd(
    schema: xmlschema.XMLSchema, type_name: str, known: frozenset[str]
) -> None:
    xsd_type = schema.maps.types[NAMESPACE + type_name]
    assert isinstance(xsd_type, xmlschema.validators.XsdComplexType)
    content = xsd_type.content
    assert isinstance(content, xmlschema.validators.XsdGroup)
    elements = {element.local_name for element in content.iter_elements()}
    assert known == elements | set(xsd_type.attributes)


@pytest.mark.parametrize("group", sorted(properties.PREFERENCES_GROUPS))
def test_preference_groups_match_xsd(schema: xmlschema.XMLSchema, group: str) -> None:
    type_name, known = properties.PREFERENCES_GROUPS[group]
    preferences = schema.maps.types[NAMESPACE + "Preferences"]
    [slot] = [e for e in preferences.content.iter_elements() if e.local_name == group]
    assert slot.type.local_name == type_name
    elements = {element.local_name for element in slot.type.content.iter_elements()}
    assert known == elements | set(slot.type.attributes)
