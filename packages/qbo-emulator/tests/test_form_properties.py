"""The property sets of the newer kinds are exactly their XSD types' elements and attributes."""

from __future__ import annotations

import pytest
import xmlschema

from qbo_emulator import form_properties
from xsd_check import NAMESPACE, _schema, assert_valid

TYPES = {
    "SalesReceipt": form_properties.SALES_RECEIPT_PROPERTIES,
    "CreditMemo": form_properties.CREDIT_MEMO_PROPERTIES,
    "RefundReceipt": form_properties.REFUND_RECEIPT_PROPERTIES,
    "Deposit": form_properties.DEPOSIT_PROPERTIES,
    "DepositLineDetail": form_properties.DEPOSIT_LINE_DETAIL_PROPERTIES,
    "TxnTaxDetail": form_properties.TXN_TAX_DETAIL_PROPERTIES,
    "PaymentMethod": form_properties.PAYMENT_METHOD_PROPERTIES,
    "Term": form_properties.TERM_PROPERTIES,
    "TaxCode": form_properties.TAX_CODE_PROPERTIES,
    "TaxRate": form_properties.TAX_RATE_PROPERTIES,
    "CompanyCurrency": form_properties.COMPANY_CURRENCY_PROPERTIES,
    "ExchangeRate": form_properties.EXCHANGE_RATE_PROPERTIES,
}


@pytest.mark.parametrize(("type_name", "known"), TYPES.items(), ids=list(TYPES))
def test_properties_match_xsd(type_name: str, known: frozenset[str]) -> None:
    xsd_type = _schema().maps.types[f"{{{NAMESPACE}}}{type_name}"]
    assert isinstance(xsd_type, xmlschema.validators.XsdComplexType)
    content = xsd_type.content
    assert isinstance(content, xmlschema.validators.XsdGroup)
    elements = {element.local_name for element in content.iter_elements()}
    assert known == elements | set(xsd_type.attributes)


def test_the_payload_check_refuses_what_the_xsd_refuses() -> None:
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        assert_valid("Term", {"Name": "Net 5", "DueDays": "five"})
