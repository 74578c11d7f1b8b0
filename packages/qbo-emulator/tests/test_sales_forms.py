"""SalesReceipt, RefundReceipt and CreditMemo: create/read/query/update, void or delete, and
what they do to customer and account balances; credit memos applied through payments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from support import Qbo, body, fault_code
from xsd_check import assert_valid

UNDEPOSITED = "4"
CHECKING = "35"


def form(customer_id: str | None, *amounts: str, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "Line": [
            {
                "Amount": Decimal(amount),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
            }
            for amount in amounts
        ],
        **fields,
    }
    if customer_id is not None:
        payload["CustomerRef"] = {"value": customer_id}
    return payload


async def account_balance(qbo: Qbo, account_id: str) -> Decimal:
    balance: Decimal = body(await qbo.get(f"account/{account_id}"))["Account"]["CurrentBalance"]
    return balance


async def customer_balance(qbo: Qbo, customer_id: str) -> Decimal:
    balance: Decimal = body(await qbo.get(f"customer/{customer_id}"))["Customer"]["Balance"]
    return balance


@pytest.fixture
async def customer_id(qbo: Qbo) -> str:
    return str((await qbo.customer("Form customer"))["Id"])


class TestSalesReceipt:
    async def test_money_lands_in_undeposited_funds_not_receivables(
        self, qbo: Qbo, customer_id: str
    ) -> None:
        payload = form(customer_id, "40.00", "2.50", PaymentMethodRef={"value": "1"})
        assert_valid("SalesReceipt", payload)
        receipt = await qbo.create("SalesReceipt", payload)
        assert (receipt["TotalAmt"], receipt["Balance"]) == (Decimal("42.50"), 0)
        assert receipt["DepositToAccountRef"] == {"value": UNDEPOSITED, "name": "Undeposited Funds"}
        assert receipt["Line"][-1]["DetailType"] == "SubTotalLineDetail"
        assert await account_balance(qbo, UNDEPOSITED) == Decimal("42.50")
        assert await customer_balance(qbo, customer_id) == 0
        found = body(await qbo.query("select * from SalesReceipt where TotalAmt > '40'"))
        assert [r["Id"] for r in found["QueryResponse"]["SalesReceipt"]] == [receipt["Id"]]

    async def test_sparse_update_then_void(self, qbo: Qbo, customer_id: str) -> None:
        receipt = await qbo.create("SalesReceipt", form(customer_id, "10.00"))
        update = {"Id": receipt["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "till 2"}
        updated = body(await qbo.post("salesreceipt", update))["SalesReceipt"]
        assert (updated["PrivateNote"], updated["SyncToken"]) == ("till 2", "1")
        void = {"Id": receipt["Id"], "SyncToken": "1", "sparse": True}
        voided = body(await qbo.post("salesreceipt", void, operation="update", include="void"))
        assert voided["SalesReceipt"]["TotalAmt"] == 0
        assert voided["SalesReceipt"]["PrivateNote"] == "Voided - till 2"
        assert await account_balance(qbo, UNDEPOSITED) == 0

    async def test_operation_void_is_refused_and_delete_works(
        self, qbo: Qbo, customer_id: str
    ) -> None:
        receipt = await qbo.create("SalesReceipt", form(customer_id, "10.00"))
        ids = {"Id": receipt["Id"], "SyncToken": "0"}
        assert fault_code(await qbo.post("salesreceipt", ids, operation="void")) == "500"
        deleted = body(await qbo.post("salesreceipt", ids, operation="delete"))
        assert deleted["SalesReceipt"]["status"] == "Deleted"
        assert fault_code(await qbo.get(f"salesreceipt/{receipt['Id']}")) == "610"

    @pytest.mark.parametrize(
        ("fields", "code"),
        [
            ({"DepositToAccountRef": {"value": "1"}}, "6430"),
            ({"PaymentMethodRef": {"value": "99"}}, "610"),
            ({"PaymentType": "Barter"}, "2170"),
            ({"DocNumber": "x" * 22}, "2050"),
            ({"Bogus": 1}, "2010"),
        ],
    )
    async def test_faults(
        self, qbo: Qbo, customer_id: str, fields: dict[str, Any], code: str
    ) -> None:
        response = await qbo.post("salesreceipt", form(customer_id, "1.00", **fields))
        assert fault_code(response) == code

    async def test_lines_are_required(self, qbo: Qbo, customer_id: str) -> None:
        assert fault_code(await qbo.post("salesreceipt", form(customer_id))) == "2020"

    async def test_in_a_batch_create_then_void(self, qbo: Qbo, customer_id: str) -> None:
        receipt = await qbo.create("SalesReceipt", form(customer_id, "7.00"))
        request = {
            "BatchItemRequest": [
                {"bId": "new", "operation": "create", "SalesReceipt": form(customer_id, "3.00")},
                {
                    "bId": "void",
                    "operation": "update",
                    "optionsData": "void",
                    "SalesReceipt": {"Id": receipt["Id"], "SyncToken": "0", "sparse": True},
                },
                {"bId": "q", "Query": "select * from SalesReceipt"},
            ]
        }
        items = {
            item["bId"]: item
            for item in body(await qbo.post("batch", request))["BatchItemResponse"]
        }
        assert items["new"]["SalesReceipt"]["TotalAmt"] == Decimal("3.00")
        assert items["void"]["SalesReceipt"]["TotalAmt"] == 0
        assert len(items["q"]["QueryResponse"]["SalesReceipt"]) == 2
        assert await account_balance(qbo, UNDEPOSITED) == Decimal("3.00")


class TestRefundReceipt:
    async def test_refund_comes_out_of_the_bank(self, qbo: Qbo, customer_id: str) -> None:
        payload = form(customer_id, "15.00", DepositToAccountRef={"value": CHECKING})
        assert_valid("RefundReceipt", payload)
        refund = await qbo.create("RefundReceipt", payload)
        assert refund["TotalAmt"] == Decimal("15.00")
        assert await account_balance(qbo, CHECKING) == Decimal("-15.00")
        assert await customer_balance(qbo, customer_id) == 0

    async def test_account_is_required_and_no_void(self, qbo: Qbo, customer_id: str) -> None:
        assert fault_code(await qbo.post("refundreceipt", form(customer_id, "1"))) == "2020"
        refund = await qbo.create(
            "RefundReceipt", form(customer_id, "1", DepositToAccountRef={"value": CHECKING})
        )
        ids = {"Id": refund["Id"], "SyncToken": "0"}
        response = await qbo.post("refundreceipt", ids, operation="update", include="void")
        assert fault_code(response) == "500"
        assert (
            body(await qbo.post("refundreceipt", ids, operation="delete"))["RefundReceipt"][
                "status"
            ]
            == "Deleted"
        )
        assert await account_balance(qbo, CHECKING) == 0


class TestCreditMemo:
    async def test_credit_lowers_the_customer_balance(self, qbo: Qbo, customer_id: str) -> None:
        await qbo.invoice(customer_id, "100.00")
        payload = form(customer_id, "30.00")
        assert_valid("CreditMemo", payload)
        memo = await qbo.create("CreditMemo", payload)
        assert memo["Balance"] == memo["RemainingCredit"] == Decimal("30.00")
        assert await customer_balance(qbo, customer_id) == Decimal("70.00")

    async def test_applied_to_an_invoice_through_a_payment(
        self, qbo: Qbo, customer_id: str
    ) -> None:
        invoice = await qbo.invoice(customer_id, "100.00")
        memo = await qbo.create("CreditMemo", form(customer_id, "30.00"))
        payload = {
            "CustomerRef": {"value": customer_id},
            "TotalAmt": Decimal("70.00"),
            "Line": [
                {
                    "Amount": Decimal("100.00"),
                    "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}],
                },
                {
                    "Amount": Decimal("30.00"),
                    "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}],
                },
            ],
        }
        assert_valid("Payment", payload)
        paid = await qbo.create("Payment", payload)
        assert paid["UnappliedAmt"] == 0
        read_invoice = body(await qbo.get(f"invoice/{invoice['Id']}"))["Invoice"]
        read_memo = body(await qbo.get(f"creditmemo/{memo['Id']}"))["CreditMemo"]
        assert (read_invoice["Balance"], read_memo["Balance"]) == (0, 0)
        assert read_memo["LinkedTxn"] == [{"TxnId": paid["Id"], "TxnType": "Payment"}]
        assert await customer_balance(qbo, customer_id) == 0
        ids = {"Id": memo["Id"], "SyncToken": "0"}
        assert fault_code(await qbo.post("creditmemo", ids, operation="delete")) == "6000"
        await qbo.post("payment", {"Id": paid["Id"], "SyncToken": "0"}, operation="delete")
        assert body(await qbo.get(f"creditmemo/{memo['Id']}"))["CreditMemo"]["Balance"] == 30

    async def test_a_credit_alone_can_pay_an_invoice(self, qbo: Qbo, customer_id: str) -> None:
        invoice = await qbo.invoice(customer_id, "20.00")
        memo = await qbo.create("CreditMemo", form(customer_id, "50.00"))
        await qbo.create(
            "Payment",
            {
                "CustomerRef": {"value": customer_id},
                "TotalAmt": 0,
                "Line": [
                    {"Amount": 20, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]},
                    {"Amount": 20, "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]},
                ],
            },
        )
        assert body(await qbo.get(f"creditmemo/{memo['Id']}"))["CreditMemo"]["Balance"] == 30
        assert await customer_balance(qbo, customer_id) == Decimal("-30.00")

    @pytest.mark.parametrize(
        ("credit", "invoice_amount", "total"), [("60", "50", "0"), ("10", "50", "30")]
    )
    async def test_misapplied_credit_is_refused(
        self, qbo: Qbo, customer_id: str, credit: str, invoice_amount: str, total: str
    ) -> None:
        invoice = await qbo.invoice(customer_id, "50.00")
        memo = await qbo.create("CreditMemo", form(customer_id, "40.00"))
        response = await qbo.post(
            "payment",
            {
                "CustomerRef": {"value": customer_id},
                "TotalAmt": Decimal(total),
                "Line": [
                    {
                        "Amount": Decimal(invoice_amount),
                        "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}],
                    },
                    {
                        "Amount": Decimal(credit),
                        "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}],
                    },
                ],
            },
        )
        assert fault_code(response) == "6000"

    async def test_customer_is_required_and_no_void(self, qbo: Qbo, customer_id: str) -> None:
        assert fault_code(await qbo.post("creditmemo", form(None, "1"))) == "2020"
        memo = await qbo.create("CreditMemo", form(customer_id, "1"))
        ids = {"Id": memo["Id"], "SyncToken": "0"}
        assert fault_code(await qbo.post("creditmemo", ids, operation="void")) == "500"
        full = {**form(customer_id, "5"), **ids}
        assert body(await qbo.post("creditmemo", full))["CreditMemo"]["TotalAmt"] == 5
