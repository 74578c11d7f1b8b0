"""Multi-currency (CompanyCurrency, ExchangeRate, CurrencyRef rules), bank deposits of
Undeposited Funds, and ``include=invoiceLink``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from company_prefs import use_multicurrency
from support import Qbo, body, fault_code
from xsd_check import assert_valid

UNDEPOSITED = "4"
CHECKING = "35"


async def account_balance(qbo: Qbo, account_id: str) -> Decimal:
    balance: Decimal = body(await qbo.get(f"account/{account_id}"))["Account"]["CurrentBalance"]
    return balance


class TestMultiCurrency:
    async def test_off_by_default(self, qbo: Qbo) -> None:
        assert fault_code(await qbo.post("companycurrency", {"Code": "EUR"})) == "6000"
        response = await qbo.post(
            "customer", {"DisplayName": "Euro", "CurrencyRef": {"value": "EUR"}}
        )
        assert fault_code(response) == "6000"

    async def test_currency_rate_and_home_amounts(self, qbo: Qbo) -> None:
        await use_multicurrency(qbo)
        assert_valid("CompanyCurrency", {"Code": "EUR"})
        euro = await qbo.create("CompanyCurrency", {"Code": "EUR"})
        assert (euro["Name"], euro["Active"]) == ("Euro", True)
        rate = body(await qbo.get("exchangerate", sourcecurrencycode="EUR"))["ExchangeRate"]
        assert (rate["TargetCurrencyCode"], rate["Rate"]) == ("USD", Decimal("1.08"))
        payload = {
            "SourceCurrencyCode": "EUR",
            "Rate": Decimal("1.10"),
            "AsOfDate": rate["AsOfDate"],
            "SyncToken": rate["SyncToken"],
        }
        assert_valid("ExchangeRate", payload)
        updated = body(await qbo.post("exchangerate", payload))["ExchangeRate"]
        assert (updated["Rate"], updated["SyncToken"]) == (Decimal("1.10"), "1")
        stale = await qbo.post("exchangerate", {**payload, "SyncToken": "0"})
        assert fault_code(stale) == "5010"
        customer = await qbo.customer("Berlin GmbH", CurrencyRef={"value": "EUR"})
        assert customer["CurrencyRef"] == {"value": "EUR", "name": "Euro"}
        invoice = await qbo.invoice(customer["Id"], "100.00", CurrencyRef={"value": "EUR"})
        assert (invoice["ExchangeRate"], invoice["HomeTotalAmt"]) == (
            Decimal("1.10"),
            Decimal("110.00"),
        )
        assert invoice["HomeBalance"] == Decimal("110.00")
        found = body(await qbo.query("select * from ExchangeRate where SourceCurrencyCode = 'EUR'"))
        assert [r["Rate"] for r in found["QueryResponse"]["ExchangeRate"]] == [Decimal("1.10")]

    async def test_transactions_must_be_in_the_customers_currency(self, qbo: Qbo) -> None:
        await use_multicurrency(qbo)
        await qbo.create("CompanyCurrency", {"Code": "GBP"})
        customer = await qbo.customer("London Ltd", CurrencyRef={"value": "GBP"})
        usd = await qbo.post(
            "invoice",
            {
                "CustomerRef": {"value": customer["Id"]},
                "CurrencyRef": {"value": "USD"},
                "Line": [
                    {
                        "Amount": 1,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                    }
                ],
            },
        )
        assert fault_code(usd) == "6000"
        payment = await qbo.post(
            "payment",
            {
                "CustomerRef": {"value": customer["Id"]},
                "TotalAmt": 1,
                "CurrencyRef": {"value": "USD"},
            },
        )
        assert fault_code(payment) == "6000"
        invoice = await qbo.invoice(customer["Id"], "10.00")
        assert invoice["CurrencyRef"]["value"] == "GBP"
        change = {
            "Id": customer["Id"],
            "SyncToken": "0",
            "sparse": True,
            "CurrencyRef": {"value": "USD"},
        }
        assert fault_code(await qbo.post("customer", change)) == "6000"

    @pytest.mark.parametrize(("code", "fault"), [("XYZ", "2170"), ("USD", "2170"), ("EUR", "6240")])
    async def test_company_currency_faults(self, qbo: Qbo, code: str, fault: str) -> None:
        await use_multicurrency(qbo)
        await qbo.create("CompanyCurrency", {"Code": "EUR"})
        assert fault_code(await qbo.post("companycurrency", {"Code": code})) == fault


class TestDeposit:
    async def _paid(self, qbo: Qbo, amount: str) -> dict[str, Any]:
        customer = await qbo.customer(f"Depositor {amount}")
        return await qbo.create(
            "Payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": Decimal(amount)}
        )

    async def test_payments_move_from_undeposited_funds_to_the_bank(self, qbo: Qbo) -> None:
        first, second = await self._paid(qbo, "30.00"), await self._paid(qbo, "12.00")
        assert await account_balance(qbo, UNDEPOSITED) == Decimal("42.00")
        payload = {
            "DepositToAccountRef": {"value": CHECKING},
            "Line": [
                {
                    "Amount": Decimal("30.00"),
                    "LinkedTxn": [{"TxnId": first["Id"], "TxnType": "Payment"}],
                },
                {
                    "Amount": Decimal("12.00"),
                    "LinkedTxn": [{"TxnId": second["Id"], "TxnType": "Payment"}],
                },
                {
                    "Amount": Decimal("5.00"),
                    "DetailType": "DepositLineDetail",
                    "DepositLineDetail": {"AccountRef": {"value": "83"}},
                },
            ],
        }
        assert_valid("Deposit", payload)
        deposit = await qbo.create("Deposit", payload)
        assert deposit["TotalAmt"] == Decimal("47.00")
        assert await account_balance(qbo, UNDEPOSITED) == 0
        assert await account_balance(qbo, CHECKING) == Decimal("47.00")
        payment = body(await qbo.get(f"payment/{first['Id']}"))["Payment"]
        assert payment["LinkedTxn"] == [{"TxnId": deposit["Id"], "TxnType": "Deposit"}]
        update = {"Id": first["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "x"}
        assert fault_code(await qbo.post("payment", update)) == "6540"
        ids = {"Id": first["Id"], "SyncToken": "0"}
        assert fault_code(await qbo.post("payment", ids, operation="delete")) == "6540"
        await qbo.post("deposit", {"Id": deposit["Id"], "SyncToken": "0"}, operation="delete")
        assert await account_balance(qbo, UNDEPOSITED) == Decimal("42.00")
        assert body(await qbo.post("payment", update))["Payment"]["PrivateNote"] == "x"

    async def test_deposit_faults(self, qbo: Qbo) -> None:
        paid = await self._paid(qbo, "8.00")
        line = {"LinkedTxn": [{"TxnId": paid["Id"], "TxnType": "Payment"}]}
        to_fund = {"DepositToAccountRef": {"value": UNDEPOSITED}, "Line": [line]}
        assert fault_code(await qbo.post("deposit", to_fund)) == "6430"
        wrong = {"DepositToAccountRef": {"value": CHECKING}, "Line": [{**line, "Amount": 3}]}
        assert fault_code(await qbo.post("deposit", wrong)) == "6000"
        await qbo.create("Deposit", {"DepositToAccountRef": {"value": CHECKING}, "Line": [line]})
        again = {"DepositToAccountRef": {"value": CHECKING}, "Line": [line]}
        assert fault_code(await qbo.post("deposit", again)) == "6000"
        assert (
            fault_code(await qbo.post("deposit", {"DepositToAccountRef": {"value": CHECKING}}))
            == "2020"
        )

    async def test_sales_receipts_are_deposited_too(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Cash sale")
        receipt = await qbo.create(
            "SalesReceipt",
            {
                "CustomerRef": {"value": customer["Id"]},
                "Line": [
                    {
                        "Amount": 9,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                    }
                ],
            },
        )
        line = {"LinkedTxn": [{"TxnId": receipt["Id"], "TxnType": "SalesReceipt"}]}
        await qbo.create("Deposit", {"DepositToAccountRef": {"value": CHECKING}, "Line": [line]})
        assert await account_balance(qbo, CHECKING) == Decimal("9.00")
        assert await account_balance(qbo, UNDEPOSITED) == 0
        ids = {"Id": receipt["Id"], "SyncToken": "0", "sparse": True}
        voiding = await qbo.post("salesreceipt", ids, operation="update", include="void")
        assert fault_code(voiding) == "6540"


class TestInvoiceLink:
    async def test_only_when_asked(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Linked")
        invoice = await qbo.invoice(customer["Id"], "5.00")
        plain = body(await qbo.get(f"invoice/{invoice['Id']}"))["Invoice"]
        assert "InvoiceLink" not in plain
        linked = body(await qbo.get(f"invoice/{invoice['Id']}", include="invoiceLink"))["Invoice"]
        assert linked["InvoiceLink"].startswith("https://connect.intuit.com/portal/")
        again = body(await qbo.get(f"invoice/{invoice['Id']}", include="invoiceLink"))["Invoice"]
        assert again["InvoiceLink"] == linked["InvoiceLink"]
