"""PaymentMethod and Term (name lists), TaxCode/TaxRate (read-only, TaxService creates),
and the sales tax of a US company under automated sales tax (AST)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI

from company_prefs import set_preferences, use_automated_sales_tax
from support import Qbo, body, fault_code
from xsd_check import assert_valid


def item_line(amount: str, tax_code: str = "NON") -> dict[str, Any]:
    return {
        "Amount": Decimal(amount),
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "TaxCodeRef": {"value": tax_code}},
    }


class TestClassAndDepartment:
    @pytest.mark.parametrize(
        ("entity", "sub_key"), [("Class", "SubClass"), ("Department", "SubDepartment")]
    )
    async def test_create_nest_query_and_refuse_duplicates(
        self, qbo: Qbo, entity: str, sub_key: str
    ) -> None:
        assert_valid(entity, {"Name": "Enterprise"})
        parent = await qbo.create(entity, {"Name": "Enterprise"})
        child = await qbo.create(entity, {"Name": "EMEA", "ParentRef": {"value": parent["Id"]}})
        assert (parent[sub_key], child[sub_key]) == (False, True)
        assert child["FullyQualifiedName"] == "Enterprise:EMEA"
        found = body(await qbo.query(f"select * from {entity} where Active = true"))
        assert [c["Name"] for c in found["QueryResponse"][entity]] == ["EMEA", "Enterprise"]
        assert fault_code(await qbo.post(entity.lower(), {"Name": "enterprise"})) == "6240"
        assert (
            fault_code(await qbo.post(entity.lower(), {"Name": "x", "ParentRef": {"value": "999"}}))
            == "610"
        )


class TestPaymentMethod:
    async def test_create_read_query_deactivate(self, qbo: Qbo) -> None:
        payload = {"Name": "Wire transfer", "Type": "NON_CREDIT_CARD"}
        assert_valid("PaymentMethod", payload)
        created = await qbo.create("PaymentMethod", payload)
        assert created["Active"] is True
        read = body(await qbo.get(f"paymentmethod/{created['Id']}"))["PaymentMethod"]
        assert read["Name"] == "Wire transfer"
        found = body(await qbo.query("select * from PaymentMethod where Name = 'Wire transfer'"))
        assert [m["Id"] for m in found["QueryResponse"]["PaymentMethod"]] == [created["Id"]]
        update = {"Id": created["Id"], "SyncToken": "0", "sparse": True, "Active": False}
        response = await qbo.post("paymentmethod", update)
        assert body(response)["PaymentMethod"]["Active"] is False
        found = body(await qbo.query("select * from PaymentMethod where Name = 'Wire transfer'"))
        assert found["QueryResponse"] == {}

    @pytest.mark.parametrize(
        ("payload", "code"),
        [
            ({"Name": "Cash"}, "6240"),
            ({"Name": "x" * 32}, "2050"),
            ({"Type": "CREDIT_CARD"}, "2020"),
            ({"Name": "Crypto", "Type": "BITCOIN"}, "2170"),
        ],
    )
    async def test_faults(self, qbo: Qbo, payload: dict[str, Any], code: str) -> None:
        assert fault_code(await qbo.post("paymentmethod", payload)) == code

    async def test_delete_is_refused(self, qbo: Qbo) -> None:
        response = await qbo.post(
            "paymentmethod", {"Id": "1", "SyncToken": "0"}, operation="delete"
        )
        assert fault_code(response) == "500"

    async def test_payment_names_its_method(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Card payer")
        paid = await qbo.create(
            "Payment",
            {
                "CustomerRef": {"value": customer["Id"]},
                "TotalAmt": 5,
                "PaymentMethodRef": {"value": "3"},
            },
        )
        assert paid["PaymentMethodRef"] == {"value": "3", "name": "Visa"}


class TestTerm:
    async def test_net_days_set_the_invoice_due_date(self, qbo: Qbo) -> None:
        payload = {"Name": "Net 45", "DueDays": 45}
        assert_valid("Term", payload)
        term = await qbo.create("Term", payload)
        assert term["Type"] == "STANDARD"
        customer = await qbo.customer("Termed")
        invoice = await qbo.invoice(
            customer["Id"], "10.00", TxnDate="2026-01-10", SalesTermRef={"value": term["Id"]}
        )
        assert invoice["DueDate"] == "2026-02-24"
        assert invoice["SalesTermRef"] == {"value": term["Id"], "name": "Net 45"}

    async def test_day_of_month_terms(self, qbo: Qbo) -> None:
        term = await qbo.create(
            "Term", {"Name": "15th next", "DayOfMonthDue": 15, "DueNextMonthDays": 5}
        )
        assert term["Type"] == "DATE_DRIVEN"
        customer = await qbo.customer("Monthly")
        early = await qbo.invoice(
            customer["Id"], "1.00", TxnDate="2026-03-02", SalesTermRef={"value": term["Id"]}
        )
        late = await qbo.invoice(
            customer["Id"], "1.00", TxnDate="2026-12-12", SalesTermRef={"value": term["Id"]}
        )
        assert (early["DueDate"], late["DueDate"]) == ("2026-03-15", "2027-01-15")

    @pytest.mark.parametrize(
        ("payload", "code"),
        [
            ({"Name": "Both", "DueDays": 1, "DayOfMonthDue": 2}, "2020"),
            ({"Name": "Neither"}, "2020"),
            ({"Name": "Too long", "DueDays": 1000}, "2090"),
            ({"Name": "Net 30", "DueDays": 30}, "6240"),
        ],
    )
    async def test_faults(self, qbo: Qbo, payload: dict[str, Any], code: str) -> None:
        assert fault_code(await qbo.post("term", payload)) == code

    async def test_inactive_term_cannot_be_used(self, qbo: Qbo) -> None:
        response = await qbo.post(
            "term", {"Id": "2", "SyncToken": "0", "sparse": True, "Active": False}
        )
        assert response.status_code == 200
        customer = await qbo.customer("Late")
        response = await qbo.post(
            "invoice",
            {
                "CustomerRef": {"value": customer["Id"]},
                "Line": [item_line("1")],
                "SalesTermRef": {"value": "2"},
            },
        )
        assert fault_code(response) == "610"


class TestTaxCodesAndRates:
    async def test_read_and_query(self, qbo: Qbo) -> None:
        code = body(await qbo.get("taxcode/2"))["TaxCode"]
        assert code["Name"] == "California"
        assert code["TaxGroup"] is True
        rates = body(await qbo.query("select * from TaxRate"))["QueryResponse"]["TaxRate"]
        assert {rate["Name"]: rate["RateValue"] for rate in rates} == {
            "California": Decimal("8"),
            "San Pablo City": Decimal("0.5"),
        }

    @pytest.mark.parametrize("entity", ["taxcode", "taxrate"])
    async def test_read_only(self, qbo: Qbo, entity: str) -> None:
        assert fault_code(await qbo.post(entity, {"Name": "Mine"})) == "500"
        update = {"Id": "2" if entity == "taxcode" else "1", "SyncToken": "0", "Name": "New"}
        assert fault_code(await qbo.post(entity, update)) == "500"

    async def test_tax_service_creates_a_code_and_its_rates(self, qbo: Qbo) -> None:
        response = await qbo.post(
            "taxservice/taxcode",
            {
                "TaxCode": "Oakland",
                "TaxRateDetails": [
                    {"TaxRateName": "Oakland City", "RateValue": 1, "TaxAgencyId": "1"},
                    {"TaxRateId": "1"},
                ],
            },
        )
        service = body(response)["TaxService"]
        assert [d["TaxRateName"] for d in service["TaxRateDetails"]] == [
            "Oakland City",
            "California",
        ]
        code = body(await qbo.get(f"taxcode/{service['TaxCodeId']}"))["TaxCode"]
        assert code["Name"] == "Oakland"
        assert len(code["SalesTaxRateList"]["TaxRateDetail"]) == 2

    @pytest.mark.parametrize(
        ("payload", "code"),
        [
            ({"TaxCode": "California", "TaxRateDetails": [{"TaxRateId": "1"}]}, "6240"),
            ({"TaxCode": "No rates", "TaxRateDetails": []}, "2020"),
            (
                {
                    "TaxCode": "No value",
                    "TaxRateDetails": [{"TaxRateName": "x", "TaxAgencyId": "1"}],
                },
                "2020",
            ),
            ({"TaxCode": "Ghost", "TaxRateDetails": [{"TaxRateId": "99"}]}, "610"),
        ],
    )
    async def test_tax_service_faults(self, qbo: Qbo, payload: dict[str, Any], code: str) -> None:
        assert fault_code(await qbo.post("taxservice/taxcode", payload)) == code


class TestAutomatedSalesTax:
    async def test_without_sales_tax_there_is_none(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Untaxed")
        invoice = await qbo.create(
            "Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [item_line("100", "TAX")]}
        )
        assert invoice["TxnTaxDetail"] == {"TotalTax": 0}
        assert invoice["TotalAmt"] == Decimal("100.00")

    async def test_ast_taxes_the_taxable_lines(self, qbo: Qbo) -> None:
        await use_automated_sales_tax(qbo)
        customer = await qbo.customer("Taxed")
        payload = {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [item_line("100", "TAX"), item_line("50", "NON")],
        }
        assert_valid("Invoice", payload)
        invoice = await qbo.create("Invoice", payload)
        detail = invoice["TxnTaxDetail"]
        assert detail["TotalTax"] == Decimal("8.50")
        assert [line["Amount"] for line in detail["TaxLine"]] == [Decimal("8.00"), Decimal("0.50")]
        assert invoice["TotalAmt"] == invoice["Balance"] == Decimal("158.50")
        refreshed = body(await qbo.get(f"customer/{customer['Id']}"))["Customer"]
        assert refreshed["Balance"] == Decimal("158.50")

    async def test_an_override_is_kept(self, qbo: Qbo) -> None:
        await use_automated_sales_tax(qbo)
        customer = await qbo.customer("Overridden")
        invoice = await qbo.create(
            "Invoice",
            {
                "CustomerRef": {"value": customer["Id"]},
                "Line": [item_line("100", "TAX")],
                "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}, "TotalTax": Decimal("3.25")},
            },
        )
        assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("3.25")
        assert invoice["TotalAmt"] == Decimal("103.25")

    async def test_us_lines_take_tax_or_non_only(self, qbo: Qbo) -> None:
        await use_automated_sales_tax(qbo)
        customer = await qbo.customer("Wrong code")
        response = await qbo.post(
            "invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [item_line("1", "2")]}
        )
        assert fault_code(response) == "6100"

    async def test_the_company_default_code_decides_the_rate(self, qbo: Qbo) -> None:
        created = body(
            await qbo.post(
                "taxservice/taxcode",
                {
                    "TaxCode": "Flat 10",
                    "TaxRateDetails": [{"TaxRateName": "Ten", "RateValue": 10, "TaxAgencyId": "1"}],
                },
            )
        )["TaxService"]
        await set_preferences(
            qbo,
            TaxPrefs={
                "UsingSalesTax": True,
                "PartnerTaxEnabled": True,
                "TaxGroupCodeRef": {"value": created["TaxCodeId"]},
            },
        )
        customer = await qbo.customer("Ten percent")
        receipt = await qbo.create(
            "SalesReceipt",
            {"CustomerRef": {"value": customer["Id"]}, "Line": [item_line("20", "TAX")]},
        )
        assert receipt["TotalAmt"] == Decimal("22.00")


class TestNonUsTax:
    """Outside the US each line names a TaxCode and is taxed at its rates."""

    @pytest.fixture
    async def uk(self, qbo: Qbo, emulator_app: FastAPI) -> str:
        # No control call creates a non-US company yet; set the seeded one's country.
        realm = emulator_app.state.emulator.realms[qbo.realm_id]
        realm.get("CompanyInfo", "1").body["Country"] = "GB"
        await set_preferences(qbo, TaxPrefs={"UsingSalesTax": True})
        vat = {
            "TaxCode": "20.0% S",
            "TaxRateDetails": [{"TaxRateName": "20% S", "RateValue": 20, "TaxAgencyId": "1"}],
        }
        return str(body(await qbo.post("taxservice/taxcode", vat))["TaxService"]["TaxCodeId"])

    async def test_lines_are_taxed_at_their_codes(self, qbo: Qbo, uk: str) -> None:
        customer = await qbo.customer("London")
        invoice = await qbo.create(
            "Invoice",
            {
                "CustomerRef": {"value": customer["Id"]},
                "Line": [item_line("50", uk), item_line("25", uk)],
            },
        )
        assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("15.00")
        assert invoice["TotalAmt"] == Decimal("90.00")

    @pytest.mark.usefixtures("uk")
    async def test_us_pseudo_codes_are_refused(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Manchester")
        response = await qbo.post(
            "invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [item_line("1", "TAX")]}
        )
        assert fault_code(response) == "6100"
