"""Tax on a document's lines: no tax, US (TAX/NON and Aforo's tax as the override), and a
tax code per line elsewhere; every result valid against Intuit's XSD."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qbsync.errors import InvalidInput
from qbsync.quickbooks.schemas import (
    CompanyInfo,
    DiscountLine,
    DiscountLineDetail,
    Invoice,
    Preferences,
    Ref,
    SalesItemLine,
    SalesItemLineDetail,
    TaxPrefs,
)
from qbsync.quickbooks.wire import entity_payload
from qbsync.sync.mappers.tax import (
    TaxMode,
    TaxSetup,
    apply_tax,
    rate_key,
    tax_mismatch,
    tax_setup,
)
from tests.quickbooks.xsd import validation_errors

D = Decimal
US = TaxSetup(TaxMode.US, automated=True, us_code_id="2")
VAT = TaxSetup(TaxMode.PER_LINE)
NONE = TaxSetup(TaxMode.NONE)


def sale(amount: str) -> SalesItemLine:
    return SalesItemLine(
        amount=D(amount),
        description="usage",
        sales_item_line_detail=SalesItemLineDetail(
            item_ref=Ref(value="10"), qty=D(1), unit_price=D(amount)
        ),
    )


def discount(amount: str) -> DiscountLine:
    return DiscountLine(
        amount=D(amount), discount_line_detail=DiscountLineDetail(percent_based=False)
    )


def codes(lines: list) -> list[str | None]:
    return [
        line.sales_item_line_detail.tax_code_ref.value
        for line in lines
        if isinstance(line, SalesItemLine)
    ]


class TestTaxSetup:
    @pytest.mark.parametrize(
        ("country", "prefs", "expected"),
        [
            ("US", None, TaxSetup(TaxMode.NONE)),
            ("US", TaxPrefs(using_sales_tax=False), TaxSetup(TaxMode.NONE)),
            (
                "US",
                TaxPrefs(
                    using_sales_tax=True,
                    partner_tax_enabled=True,
                    tax_group_code_ref=Ref(value="2"),
                ),
                TaxSetup(TaxMode.US, automated=True, us_code_id="2"),
            ),
            ("USA", TaxPrefs(using_sales_tax=True), TaxSetup(TaxMode.US)),
            (None, TaxPrefs(using_sales_tax=True), TaxSetup(TaxMode.US)),
            ("GB", TaxPrefs(using_sales_tax=True), TaxSetup(TaxMode.PER_LINE)),
            (
                "AU",
                TaxPrefs(using_sales_tax=True, partner_tax_enabled=True),
                TaxSetup(TaxMode.PER_LINE),
            ),
        ],
    )
    def test_mode_from_country_and_preferences(self, country, prefs, expected) -> None:
        setup = tax_setup(CompanyInfo(country=country), Preferences(tax_prefs=prefs))
        assert setup == expected


class TestRateKey:
    @pytest.mark.parametrize(
        ("rate", "key"),
        [
            ("20", "20"),
            ("20.00", "20"),
            ("8.5", "8.5"),
            ("8.50", "8.5"),
            ("0.00", "0"),
            ("7.25", "7.25"),
        ],
    )
    def test_one_key_per_rate(self, rate: str, key: str) -> None:
        assert rate_key(D(rate)) == key


class TestApplyTax:
    def test_no_sales_tax_leaves_lines_alone(self) -> None:
        lines = [sale("10.00")]
        taxed = apply_tax(
            lines,
            [D(20)],
            setup=NONE,
            aforo_tax=D("2.00"),
            document_rate=None,
            tax_code_ids={},
            default_tax_code_id=None,
        )
        assert taxed.lines == lines
        assert taxed.detail is None
        assert taxed.global_tax_calculation is None

    @pytest.mark.parametrize(
        ("rates", "aforo_tax", "line_codes", "override"),
        [
            # Aforo computed the tax: sent as the override, under the company's AST code.
            ([D("8.5"), D("8.5")], D("17.004"), ["TAX", "TAX"], D("17.00")),
            # A line Aforo did not tax (rate 0) is NON.
            ([D("8.5"), D(0)], D("8.50"), ["TAX", "NON"], D("8.50")),
            # Aforo computed none: QuickBooks computes it.
            ([None, None], None, ["TAX", "TAX"], None),
            # A zero tax Aforo computed is still an override (a tax-exempt customer).
            ([D(0), D(0)], D("0"), ["NON", "NON"], D("0.00")),
        ],
    )
    def test_us(self, rates, aforo_tax, line_codes, override) -> None:
        lines = [sale("100.00"), sale("0.00"), discount("5.00")]
        taxed = apply_tax(
            lines[:1] + lines[1:],
            rates,
            setup=US,
            aforo_tax=aforo_tax,
            document_rate=None,
            tax_code_ids={},
            default_tax_code_id=None,
        )
        assert codes(taxed.lines) == line_codes
        assert isinstance(taxed.lines[2], DiscountLine)
        if override is None:
            assert taxed.detail is None
        else:
            assert taxed.detail is not None
            assert taxed.detail.total_tax == override
            assert taxed.detail.txn_tax_code_ref == Ref(value="2")
        invoice = Invoice(
            customer_ref=Ref(value="1"), line=taxed.lines, txn_tax_detail=taxed.detail
        )
        assert validation_errors("Invoice", entity_payload(invoice)) == []

    @pytest.mark.parametrize(
        ("rates", "document_rate", "default", "line_codes"),
        [
            ([D(20), D("5.0")], None, None, ["7", "8"]),
            ([None, None], D("20.00"), None, ["7", "7"]),
            ([None, D(5)], None, "9", ["9", "8"]),
            ([D(0), D(20)], None, None, ["6", "7"]),
        ],
    )
    def test_per_line_codes_from_the_rate_map(
        self, rates, document_rate, default, line_codes
    ) -> None:
        taxed = apply_tax(
            [sale("100.00"), sale("50.00")],
            rates,
            setup=VAT,
            aforo_tax=D("22.50"),
            document_rate=document_rate,
            tax_code_ids={"20": "7", "5": "8", "0": "6"},
            default_tax_code_id=default,
        )
        assert codes(taxed.lines) == line_codes
        assert taxed.global_tax_calculation == "TaxExcluded"
        assert taxed.detail is None  # QuickBooks computes VAT from the codes
        invoice = Invoice(
            customer_ref=Ref(value="1"),
            line=taxed.lines,
            global_tax_calculation=taxed.global_tax_calculation,
        )
        assert validation_errors("Invoice", entity_payload(invoice)) == []

    def test_an_unmapped_rate_is_refused_with_the_fix(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            apply_tax(
                [sale("10.00")],
                [D("19")],
                setup=VAT,
                aforo_tax=None,
                document_rate=None,
                tax_code_ids={"20": "7"},
                default_tax_code_id="9",
            )
        assert "19 %" in caught.value.message
        assert '"19"' in (caught.value.hint or "")

    def test_no_rate_and_no_default_is_refused(self) -> None:
        with pytest.raises(InvalidInput, match="no tax rate"):
            apply_tax(
                [sale("10.00")],
                [None],
                setup=VAT,
                aforo_tax=None,
                document_rate=None,
                tax_code_ids={},
                default_tax_code_id=None,
            )


class TestMismatch:
    @pytest.mark.parametrize(
        ("aforo", "qbo", "differs"),
        [
            (None, D("3.00"), False),
            (D("8.50"), D("8.50"), False),
            (D("8.504"), D("8.50"), False),
            (D("8.50"), D("8.49"), True),
            (D("0"), None, False),
            (D("1.00"), None, True),
        ],
    )
    def test_notes_only_a_real_difference(self, aforo, qbo, differs) -> None:
        note = tax_mismatch(aforo, qbo)
        assert (note is not None) == differs
        if note:
            assert "settings" in note
