"""Invoice: totals and SubTotal line, line arithmetic, DocNumber rules, void, delete, PDF."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from qbo_emulator.control import EmulatorControl
from support import SEED_REALM, Qbo, body, fault_code


def item_line(amount: Any, qty: Any = None, price: Any = None) -> dict[str, Any]:
    detail: dict[str, Any] = {"ItemRef": {"value": "1"}}
    if qty is not None:
        detail["Qty"] = qty
    if price is not None:
        detail["UnitPrice"] = price
    return {"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}


@pytest.fixture
async def customer_id(qbo: Qbo) -> str:
    customer = await qbo.customer(
        "Invoice Customer", BillAddr={"Line1": "1 Main St", "City": "Town"}
    )
    return str(customer["Id"])


class TestTotals:
    async def test_total_balance_and_subtotal_line(self, qbo: Qbo, customer_id: str) -> None:
        lines = [item_line("98.00", 2, "49.00"), item_line("12.50", 125, "0.10")]
        invoice = await qbo.create(
            "Invoice",
            {"CustomerRef": {"value": customer_id}, "Line": lines, "TxnDate": "2025-11-01"},
        )
        assert invoice["TotalAmt"] == Decimal("110.50")
        assert invoice["Balance"] == Decimal("110.50")
        assert [line.get("Id") for line in invoice["Line"]] == ["1", "2", None]
        assert invoice["Line"][-1] == {
            "Amount": Decimal("110.50"),
            "DetailType": "SubTotalLineDetail",
            "SubTotalLineDetail": {},
        }
        assert invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"] == {
            "value": "1",
            "name": "Services",
        }
        assert invoice["CustomerRef"] == {"value": customer_id, "name": "Invoice Customer"}
        assert invoice["DueDate"] == "2025-12-01"
        assert invoice["BillAddr"]["City"] == "Town"
        assert invoice["LinkedTxn"] == []

    async def test_client_totals_are_ignored(self, qbo: Qbo, customer_id: str) -> None:
        invoice = await qbo.create(
            "Invoice",
            {
                "CustomerRef": {"value": customer_id},
                "Line": [item_line(5)],
                "TotalAmt": 999,
                "Balance": 1,
            },
        )
        assert (invoice["TotalAmt"], invoice["Balance"]) == (Decimal("5.00"), Decimal("5.00"))

    async def test_customer_balance_follows_invoices(self, qbo: Qbo, customer_id: str) -> None:
        await qbo.invoice(customer_id, "10.00", "2.50")
        customer = body(await qbo.get(f"customer/{customer_id}"))["Customer"]
        assert customer["Balance"] == Decimal("12.50")

    @pytest.mark.parametrize(
        ("percent_based", "value", "discount", "total"),
        [(True, 10, "20.00", "180.00"), (False, "15.25", "15.25", "184.75")],
    )
    async def test_discount_line_reduces_total(
        self, qbo: Qbo, customer_id: str, percent_based: bool, value: Any, discount: str, total: str
    ) -> None:
        detail: dict[str, Any] = {"PercentBased": percent_based}
        line: dict[str, Any] = {"DetailType": "DiscountLineDetail", "DiscountLineDetail": detail}
        if percent_based:
            detail["DiscountPercent"] = value
        else:
            line["Amount"] = value
        invoice = await qbo.create(
            "Invoice", {"CustomerRef": {"value": customer_id}, "Line": [item_line(200), line]}
        )
        discount_line = invoice["Line"][1]
        assert discount_line["Amount"] == Decimal(discount)
        assert (
            discount_line["DiscountLineDetail"]["DiscountAccountRef"]["name"] == "Discounts given"
        )
        assert invoice["TotalAmt"] == Decimal(total)
        assert invoice["Line"][-1]["Amount"] == Decimal("200.00")


class TestLineRules:
    @pytest.mark.parametrize(
        ("amount", "qty", "price"),
        [("100.00", 2, "49.00"), ("0.99", 3, "0.333"), ("10.01", 1, "10.00")],
    )
    async def test_amount_must_equal_qty_times_price_6070(
        self, qbo: Qbo, customer_id: str, amount: str, qty: int, price: str
    ) -> None:
        payload = {"CustomerRef": {"value": customer_id}, "Line": [item_line(amount, qty, price)]}
        response = await qbo.post("invoice", payload)
        assert fault_code(response) == "6070"

    async def test_rounding_half_up_to_the_cent_is_accepted(
        self, qbo: Qbo, customer_id: str
    ) -> None:
        # 3 * 0.335 = 1.005 → 1.01 (half up), the rule clients must follow.
        payload = {"CustomerRef": {"value": customer_id}, "Line": [item_line("1.01", 3, "0.335")]}
        assert (await qbo.post("invoice", payload)).status_code == 200

    async def test_negative_amount_is_2290(self, qbo: Qbo, customer_id: str) -> None:
        payload = {"CustomerRef": {"value": customer_id}, "Line": [item_line("-5.00")]}
        assert fault_code(await qbo.post("invoice", payload)) == "2290"

    async def test_unknown_customer_and_item_are_610(self, qbo: Qbo, customer_id: str) -> None:
        assert (
            fault_code(
                await qbo.post("invoice", {"CustomerRef": {"value": "999"}, "Line": [item_line(1)]})
            )
            == "610"
        )
        line = item_line(1)
        line["SalesItemLineDetail"]["ItemRef"] = {"value": "999"}
        assert (
            fault_code(
                await qbo.post("invoice", {"CustomerRef": {"value": customer_id}, "Line": [line]})
            )
            == "610"
        )

    async def test_unknown_property_is_2010(self, qbo: Qbo) -> None:
        response = await qbo.post("invoice", {"BadJson": True})
        assert fault_code(response) == "2010"
        assert "Invoice" in body(response)["Fault"]["Error"][0]["Detail"]

    async def test_unknown_line_property_is_2010(self, qbo: Qbo, customer_id: str) -> None:
        line = {**item_line(1), "Colour": "red"}
        assert (
            fault_code(
                await qbo.post("invoice", {"CustomerRef": {"value": customer_id}, "Line": [line]})
            )
            == "2010"
        )


class TestDocNumber:
    async def test_longer_than_21_is_2050(self, qbo: Qbo, customer_id: str) -> None:
        response = await qbo.post(
            "invoice",
            {"CustomerRef": {"value": customer_id}, "Line": [item_line(1)], "DocNumber": "X" * 22},
        )
        error = body(response)["Fault"]["Error"][0]
        assert (error["code"], error["element"]) == ("2050", "DocNumber")

    async def test_duplicate_is_6140_naming_the_owner(self, qbo: Qbo, customer_id: str) -> None:
        first = await qbo.invoice(customer_id, "1.00", DocNumber="INV-1")
        response = await qbo.post(
            "invoice",
            {"CustomerRef": {"value": customer_id}, "Line": [item_line(1)], "DocNumber": "INV-1"},
        )
        assert fault_code(response) == "6140"
        assert f"TxnId={first['Id']}" in body(response)["Fault"]["Error"][0]["Detail"]

    async def test_allowduplicatedocnum_lets_it_through(self, qbo: Qbo, customer_id: str) -> None:
        await qbo.invoice(customer_id, "1.00", DocNumber="INV-2")
        payload = {
            "CustomerRef": {"value": customer_id},
            "Line": [item_line(1)],
            "DocNumber": "INV-2",
        }
        response = await qbo.post("invoice", payload, include="allowduplicatedocnum")
        assert response.status_code == 200

    async def test_custom_numbers_leave_it_empty_and_auto_generate_numbers(
        self, qbo: Qbo, customer_id: str
    ) -> None:
        plain = await qbo.invoice(customer_id, "1.00")
        assert "DocNumber" not in plain
        auto = await qbo.invoice(customer_id, "1.00", DocNumber="AUTO_GENERATE")
        assert auto["DocNumber"] == "1001"


class TestVoidAndDelete:
    async def test_void_zeroes_amounts_and_bumps_sync_token(
        self, qbo: Qbo, customer_id: str
    ) -> None:
        invoice = await qbo.invoice(customer_id, "100.00")
        response = await qbo.post(
            "invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="void"
        )
        voided = body(response)["Invoice"]
        assert voided["SyncToken"] == "1"
        assert voided["TotalAmt"] == voided["Balance"] == 0
        assert [line["Amount"] for line in voided["Line"]] == [0, 0]
        assert voided["PrivateNote"] == "Voided"
        again = body(await qbo.get(f"invoice/{invoice['Id']}"))["Invoice"]
        assert again["TotalAmt"] == 0

    async def test_void_with_stale_token_is_5010(self, qbo: Qbo, customer_id: str) -> None:
        invoice = await qbo.invoice(customer_id, "100.00")
        response = await qbo.post(
            "invoice", {"Id": invoice["Id"], "SyncToken": "3"}, operation="void"
        )
        assert fault_code(response) == "5010"

    async def test_delete_answers_deleted_and_keeps_a_marker(
        self, qbo: Qbo, customer_id: str, control: EmulatorControl
    ) -> None:
        invoice = await qbo.invoice(customer_id, "100.00")
        response = await qbo.post(
            "invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete"
        )
        assert body(response)["Invoice"] == {
            "domain": "QBO",
            "status": "Deleted",
            "Id": invoice["Id"],
        }
        assert fault_code(await qbo.get(f"invoice/{invoice['Id']}")) == "610"
        held = await control.entities(SEED_REALM, "Invoice")
        assert [(record.id, record.state) for record in held] == [(invoice["Id"], "deleted")]
        assert await control.live(SEED_REALM, "Invoice") == []

    async def test_deleted_invoice_frees_its_doc_number(self, qbo: Qbo, customer_id: str) -> None:
        invoice = await qbo.invoice(customer_id, "1.00", DocNumber="INV-9")
        await qbo.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete")
        assert (await qbo.invoice(customer_id, "1.00", DocNumber="INV-9"))["DocNumber"] == "INV-9"


class TestPdf:
    async def test_pdf_names_the_invoice(self, qbo: Qbo, customer_id: str) -> None:
        invoice = await qbo.invoice(customer_id, "100.00", DocNumber="INV-PDF-7")
        response = await qbo.get(f"invoice/{invoice['Id']}/pdf")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-1.")
        assert response.content.rstrip().endswith(b"%%EOF")
        assert b"INV-PDF-7" in response.content
        startxref = int(response.content.rsplit(b"startxref", 1)[1].split()[0])
        assert response.content[startxref:].startswith(b"xref")

    async def test_pdf_of_unknown_invoice_is_610(self, qbo: Qbo) -> None:
        assert fault_code(await qbo.get("invoice/999/pdf")) == "610"
