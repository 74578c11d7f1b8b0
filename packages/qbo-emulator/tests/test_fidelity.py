"""Where the emulator once differed from QuickBooks, with the evidence for QBO's behaviour.

Each class names its evidence; the README's conformance table points here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from qbo_emulator import clock
from qbo_emulator.control import EmulatorControl
from support import SEED_REALM, Qbo, body, fault_code


def sdk_default_invoice(customer_id: str) -> dict[str, Any]:
    """The body python-quickbooks sends for the invoice its integration test creates against
    the real sandbox (tests/integration/test_invoice.py): its ``Invoice()`` and
    ``SalesItemLineDetail()`` defaults (objects/invoice.py, objects/detailline.py) with
    ``None`` fields dropped, as its ``to_json`` does."""
    return {
        "AllowIPNPayment": True,
        "ApplyTaxAfterDiscount": False,
        "Balance": 0,
        "CustomField": [],
        "CustomerMemo": {"value": "Customer Memo"},
        "CustomerRef": {"name": "Amy's Bird Sanctuary", "value": customer_id},
        "Deposit": 0,
        "DocNumber": "",
        "DueDate": "",
        "EmailStatus": "NotSet",
        "ExchangeRate": 1,
        "GlobalTaxCalculation": "TaxExcluded",
        "Line": [
            {
                "Amount": 100,
                "CustomField": [],
                "Description": "description",
                "DetailType": "SalesItemLineDetail",
                "LineNum": 1,
                "LinkedTxn": [],
                "SalesItemLineDetail": {
                    "ItemRef": {"name": "Services", "value": "1"},
                    "Qty": 0,
                    "ServiceDate": "",
                    "UnitPrice": 0,
                },
            }
        ],
        "LinkedTxn": [],
        "PrintStatus": "NotSet",
        "PrivateNote": "",
        "ShipDate": "",
        "TotalAmt": "",
        "TrackingNum": "",
        "TxnDate": "",
    }


class TestSdkDefaults:
    """Evidence: python-quickbooks' integration suite creates this invoice in a real sandbox
    and reads back ``Line[0].Amount == 100``; its objects send "" for unset dates and 0 for
    unset Qty/UnitPrice on every invoice."""

    async def test_the_sdk_default_invoice_is_accepted(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Amy's Bird Sanctuary")
        response = await qbo.post("invoice", sdk_default_invoice(customer["Id"]))
        assert response.status_code == 200, response.text
        invoice = body(response)["Invoice"]
        assert invoice["TotalAmt"] == invoice["Balance"] == Decimal("100")
        assert invoice["Line"][0]["Amount"] == Decimal("100")
        assert invoice["TxnDate"] == clock.company_today().isoformat()
        assert invoice["DueDate"] > invoice["TxnDate"]
        assert "ShipDate" not in invoice
        assert "ServiceDate" not in invoice["Line"][0]["SalesItemLineDetail"]

    async def test_empty_dates_mean_not_given(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Dates")
        invoice = await qbo.invoice(customer["Id"], "10.00", TxnDate="", DueDate="", ShipDate="")
        assert invoice["TxnDate"] == clock.company_today().isoformat()
        response = await qbo.post(
            "payment", {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 1, "TxnDate": ""}
        )
        assert response.status_code == 200, response.text

    async def test_a_bad_date_is_still_2070(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Bad Dates")
        for field in ("TxnDate", "DueDate", "ShipDate"):
            payload = {
                "CustomerRef": {"value": customer["Id"]},
                "Line": [_line("10.00")],
                field: "31/12/2025",
            }
            response = await qbo.post("invoice", payload)
            assert response.status_code == 400, field
            assert fault_code(response) == "2070"

    async def test_zero_qty_and_price_take_the_amount(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Zeroes")
        payload = {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [_line("42.50", Qty=0, UnitPrice=0)],
        }
        invoice = body(await qbo.post("invoice", payload))["Invoice"]
        assert invoice["TotalAmt"] == Decimal("42.50")

    async def test_a_disagreeing_qty_and_price_is_still_6070(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Mismatch")
        for qty, price in ((2, Decimal("10.00")), (0, Decimal("5")), (3, 0)):
            payload = {
                "CustomerRef": {"value": customer["Id"]},
                "Line": [_line("42.50", Qty=qty, UnitPrice=price)],
            }
            response = await qbo.post("invoice", payload)
            assert response.status_code == 400, (qty, price)
            assert fault_code(response) == "6070"


def _line(amount: str, **detail: Any) -> dict[str, Any]:
    return {
        "Amount": Decimal(amount),
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}, **detail},
    }


class TestRequestIdLength:
    """Evidence: quickbooks-api.md §2.5 (Intuit blog 2015-04-06: at most 50 characters) and
    QBO's own answer quoted in intuit/QuickBooks-V3-Java-SDK#180 (6000, "You cannot enter more
    than 50 characters in the request_id field. You tried entering 8182e07bba..., which is
    68 characters." — there a 32-character requestid plus a 36-character bId)."""

    async def test_fifty_characters_are_accepted(self, qbo: Qbo) -> None:
        response = await qbo.post("customer", {"DisplayName": "Fifty"}, requestid="r" * 50)
        assert response.status_code == 200

    async def test_fifty_one_are_refused_with_6000_and_nothing_is_written(
        self, qbo: Qbo, control: EmulatorControl
    ) -> None:
        requestid = "0123456789" * 5 + "x"
        response = await qbo.post("customer", {"DisplayName": "Too Long"}, requestid=requestid)
        assert response.status_code == 400
        error = body(response)["Fault"]["Error"][0]
        assert error["code"] == "6000"
        assert error["Detail"] == (
            "Business Validation Error: You cannot enter more than 50 characters in the "
            "request_id field. You tried entering 0123456789..., which is 51 characters."
        )
        assert await control.entities(SEED_REALM, "Customer") == []

    async def test_in_a_batch_the_limit_covers_requestid_and_bid(self, qbo: Qbo) -> None:
        requestid = "86e1e8438fd9413587c2bd17f4185b13"  # 32 characters, as in #180
        items = [
            {"bId": "b" * 18, "operation": "create", "Customer": {"DisplayName": "Fits"}},
            {"bId": "c" * 36, "operation": "create", "Customer": {"DisplayName": "No"}},
        ]
        response = await qbo.post("batch", {"BatchItemRequest": items}, requestid=requestid)
        assert response.status_code == 200
        fits, too_long = body(response)["BatchItemResponse"]
        assert fits["Customer"]["DisplayName"] == "Fits"
        assert too_long["Fault"]["Error"][0]["code"] == "6000"
        assert "which is 68 characters" in too_long["Fault"]["Error"][0]["Detail"]


PREFERENCE_GROUPS = (
    "AccountingInfoPrefs",
    "ProductAndServicesPrefs",
    "SalesFormsPrefs",
    "EmailMessagesPrefs",
    "VendorAndPurchasesPrefs",
    "TimeTrackingPrefs",
    "TaxPrefs",
    "CurrencyPrefs",
    "ReportPrefs",
    "OtherPrefs",
)


class TestPreferences:
    """Evidence: the Preferences type in Intuit's XSD (Finance.xsd) and the groups of Intuit's
    sample response, as payload-derived client types carry them (all ten groups below). The
    XML form of the whole answer validates against the XSD in test_xml.py."""

    async def test_every_group_is_there(self, qbo: Qbo) -> None:
        prefs = body(await qbo.get("preferences"))["Preferences"]
        assert set(PREFERENCE_GROUPS) <= set(prefs)
        assert prefs["EmailMessagesPrefs"]["InvoiceMessage"]["Subject"]
        assert prefs["ReportPrefs"] == {
            "ReportBasis": "Accrual",
            "CalcAgingReportFromTxnDate": False,
        }
        assert prefs["TimeTrackingPrefs"]["WorkWeekStartDate"] == "Monday"
        assert prefs["VendorAndPurchasesPrefs"]["BillableExpenseTracking"] is True

    async def test_updates_to_the_new_groups_round_trip(self, qbo: Qbo) -> None:
        before = body(await qbo.get("preferences"))["Preferences"]
        update = {
            "Id": "1",
            "SyncToken": before["SyncToken"],
            "sparse": True,
            "EmailMessagesPrefs": {"InvoiceMessage": {"Subject": "Your bill"}},
            "VendorAndPurchasesPrefs": {"DaysBillsAreDue": 45, "TrackingByCustomer": False},
            "TimeTrackingPrefs": {"WorkWeekStartDate": "Sunday"},
            "ReportPrefs": {"ReportBasis": "Cash"},
        }
        response = await qbo.post("preferences", update)
        assert response.status_code == 200, response.text
        after = body(await qbo.get("preferences"))["Preferences"]
        assert after == body(response)["Preferences"]
        assert int(after["SyncToken"]) == int(before["SyncToken"]) + 1
        invoice_message = after["EmailMessagesPrefs"]["InvoiceMessage"]
        assert invoice_message == {
            "Subject": "Your bill",
            "Message": before["EmailMessagesPrefs"]["InvoiceMessage"]["Message"],
        }
        assert after["VendorAndPurchasesPrefs"]["DaysBillsAreDue"] == 45
        assert after["VendorAndPurchasesPrefs"]["TrackingByCustomer"] is False
        assert after["VendorAndPurchasesPrefs"]["BillableExpenseTracking"] is True
        assert after["TimeTrackingPrefs"]["WorkWeekStartDate"] == "Sunday"
        assert after["ReportPrefs"] == {"ReportBasis": "Cash", "CalcAgingReportFromTxnDate": False}
        assert after["SalesFormsPrefs"] == before["SalesFormsPrefs"]

    async def test_a_field_the_group_does_not_have_is_2010(self, qbo: Qbo) -> None:
        update = {"Id": "1", "SyncToken": "0", "sparse": True, "ReportPrefs": {"Basis": "Cash"}}
        response = await qbo.post("preferences", update)
        assert response.status_code == 400
        assert fault_code(response) == "2010"

    async def test_a_stale_sync_token_is_5010(self, qbo: Qbo) -> None:
        update = {
            "Id": "1",
            "SyncToken": "7",
            "sparse": True,
            "ReportPrefs": {"ReportBasis": "Cash"},
        }
        assert fault_code(await qbo.post("preferences", update)) == "5010"
