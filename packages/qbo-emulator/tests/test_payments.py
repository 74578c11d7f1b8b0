"""Payment: application to invoices, unapplied remainder, void (the right way), delete."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from support import Qbo, body, fault_code, payment


@pytest.fixture
async def setup(qbo: Qbo) -> tuple[str, str]:
    customer = await qbo.customer("Payer")
    invoice = await qbo.invoice(customer["Id"], "110.50")
    return str(customer["Id"]), str(invoice["Id"])


async def invoice_of(qbo: Qbo, invoice_id: str) -> dict[str, Any]:
    result: dict[str, Any] = body(await qbo.get(f"invoice/{invoice_id}"))["Invoice"]
    return result


class TestApply:
    async def test_payment_reduces_balance_and_links_both_ways(
        self, qbo: Qbo, setup: tuple[str, str]
    ) -> None:
        customer_id, invoice_id = setup
        paid = await qbo.create("Payment", payment(customer_id, "110.50", (invoice_id, "110.50")))
        assert paid["UnappliedAmt"] == 0
        assert paid["DepositToAccountRef"] == {"value": "4", "name": "Undeposited Funds"}
        assert paid["Line"] == [
            {
                "Amount": Decimal("110.50"),
                "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}],
            }
        ]
        invoice = await invoice_of(qbo, invoice_id)
        assert invoice["Balance"] == 0
        assert invoice["TotalAmt"] == Decimal("110.50")
        assert invoice["LinkedTxn"] == [{"TxnId": paid["Id"], "TxnType": "Payment"}]

    async def test_partial_and_unapplied(self, qbo: Qbo, setup: tuple[str, str]) -> None:
        customer_id, invoice_id = setup
        paid = await qbo.create("Payment", payment(customer_id, "150.00", (invoice_id, "60.00")))
        assert paid["UnappliedAmt"] == Decimal("90.00")
        assert (await invoice_of(qbo, invoice_id))["Balance"] == Decimal("50.50")
        customer = body(await qbo.get(f"customer/{customer_id}"))["Customer"]
        assert customer["Balance"] == Decimal("-39.50")

    async def test_no_lines_is_all_unapplied(self, qbo: Qbo, setup: tuple[str, str]) -> None:
        customer_id, invoice_id = setup
        paid = await qbo.create("Payment", payment(customer_id, "20.00"))
        assert paid["UnappliedAmt"] == Decimal("20.00")
        assert (await invoice_of(qbo, invoice_id))["Balance"] == Decimal("110.50")

    async def test_more_than_the_open_balance_is_refused(
        self, qbo: Qbo, setup: tuple[str, str]
    ) -> None:
        customer_id, invoice_id = setup
        await qbo.create("Payment", payment(customer_id, "100.00", (invoice_id, "100.00")))
        response = await qbo.post("payment", payment(customer_id, "20.00", (invoice_id, "20.00")))
        assert fault_code(response) == "6000"

    async def test_lines_above_total_are_refused(self, qbo: Qbo, setup: tuple[str, str]) -> None:
        customer_id, invoice_id = setup
        response = await qbo.post("payment", payment(customer_id, "10.00", (invoice_id, "20.00")))
        assert fault_code(response) == "6000"

    async def test_unknown_or_foreign_invoice_is_610(
        self, qbo: Qbo, setup: tuple[str, str]
    ) -> None:
        customer_id, invoice_id = setup
        assert (
            fault_code(await qbo.post("payment", payment(customer_id, "1.00", ("999", "1.00"))))
            == "610"
        )
        other = await qbo.customer("Someone Else")
        response = await qbo.post("payment", payment(other["Id"], "1.00", (invoice_id, "1.00")))
        assert fault_code(response) == "610"

    async def test_total_is_required(self, qbo: Qbo, setup: tuple[str, str]) -> None:
        customer_id, _ = setup
        response = await qbo.post("payment", {"CustomerRef": {"value": customer_id}})
        assert fault_code(response) == "2020"

    async def test_update_reapplies(self, qbo: Qbo, setup: tuple[str, str]) -> None:
        customer_id, invoice_id = setup
        paid = await qbo.create("Payment", payment(customer_id, "110.50", (invoice_id, "110.50")))
        update = {
            **payment(customer_id, "110.50", (invoice_id, "10.00")),
            "Id": paid["Id"],
            "SyncToken": "0",
        }
        updated = body(await qbo.post("payment", update))["Payment"]
        assert updated["UnappliedAmt"] == Decimal("100.50")
        assert (await invoice_of(qbo, invoice_id))["Balance"] == Decimal("100.50")


class TestVoid:
    async def test_update_include_void_voids_and_restores_the_invoice(
        self, qbo: Qbo, setup: tuple[str, str]
    ) -> None:
        customer_id, invoice_id = setup
        paid = await qbo.create("Payment", payment(customer_id, "110.50", (invoice_id, "110.50")))
        response = await qbo.post(
            "payment",
            {"Id": paid["Id"], "SyncToken": "0", "sparse": True},
            operation="update",
            include="void",
        )
        voided = body(response)["Payment"]
        assert voided["TotalAmt"] == 0
        assert voided["Line"] == []
        assert voided["SyncToken"] == "1"
        invoice = await invoice_of(qbo, invoice_id)
        assert invoice["Balance"] == Decimal("110.50")
        assert invoice["LinkedTxn"] == []

    async def test_operation_void_does_not_void_a_payment(
        self, qbo: Qbo, setup: tuple[str, str]
    ) -> None:
        customer_id, invoice_id = setup
        paid = await qbo.create("Payment", payment(customer_id, "110.50", (invoice_id, "110.50")))
        response = await qbo.post("payment", {"Id": paid["Id"], "SyncToken": "0"}, operation="void")
        assert response.status_code == 400
        assert body(response)["Fault"]["type"] == "ValidationFault"
        still = body(await qbo.get(f"payment/{paid['Id']}"))["Payment"]
        assert (still["TotalAmt"], still["SyncToken"]) == (Decimal("110.50"), "0")
        assert (await invoice_of(qbo, invoice_id))["Balance"] == 0

    async def test_paid_invoice_cannot_be_voided_or_deleted(
        self, qbo: Qbo, setup: tuple[str, str]
    ) -> None:
        customer_id, invoice_id = setup
        await qbo.create("Payment", payment(customer_id, "10.00", (invoice_id, "10.00")))
        for operation in ("void", "delete"):
            response = await qbo.post(
                "invoice", {"Id": invoice_id, "SyncToken": "0"}, operation=operation
            )
            assert fault_code(response) == "6000"


class TestDelete:
    async def test_delete_restores_the_invoice_balance(
        self, qbo: Qbo, setup: tuple[str, str]
    ) -> None:
        customer_id, invoice_id = setup
        paid = await qbo.create("Payment", payment(customer_id, "50.00", (invoice_id, "50.00")))
        response = await qbo.post(
            "payment", {"Id": paid["Id"], "SyncToken": "0"}, operation="delete"
        )
        assert body(response)["Payment"]["status"] == "Deleted"
        assert (await invoice_of(qbo, invoice_id))["Balance"] == Decimal("110.50")
        assert fault_code(await qbo.get(f"payment/{paid['Id']}")) == "610"
