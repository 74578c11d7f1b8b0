"""QuickBooksClient reads: query paging and COUNT, the invoice PDF, CompanyInfo, Preferences."""

from __future__ import annotations

import httpx
import pytest
import respx

from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.errors import QuickBooksError
from qbsync.quickbooks.query import Q
from qbsync.quickbooks.schemas import Customer, Invoice, Item, Ref

from .conftest import REALM_ID, qbo_json


class TestQuery:
    async def test_three_pages(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        def page(start: int, size: int) -> httpx.Response:
            rows = [
                {"Id": str(start + n), "SyncToken": "0", "DisplayName": f"C{start + n}"}
                for n in range(size)
            ]
            return qbo_json(
                {"QueryResponse": {"Customer": rows, "startPosition": start, "maxResults": size}}
            )

        route = qbo_mock.post("/query").mock(
            side_effect=[page(1, 1000), page(1001, 1000), page(2001, 3)]
        )
        where = Q.eq("Active", True) & Q.like("DisplayName", "C%")
        found = await qbo.query(Customer, where, order_by="Id")
        assert len(found) == 2003
        assert [c.id for c in found[:2]] == ["1", "2"]
        assert found[-1].id == "2003"
        statements = [call.request.content.decode() for call in route.calls]
        assert statements == [
            f"SELECT * FROM Customer WHERE Active = true AND DisplayName LIKE 'C%' ORDERBY Id"
            f" STARTPOSITION {start} MAXRESULTS 1000"
            for start in (1, 1001, 2001)
        ]
        for call in route.calls:
            assert call.request.headers["Content-Type"] == "application/text"
            assert call.request.url.params["minorversion"] == "75"
            assert "requestid" not in call.request.url.params

    async def test_empty_answer_stops(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        qbo_mock.post("/query").mock(return_value=qbo_json({"QueryResponse": {}}))
        assert await qbo.query(Invoice, Q.eq("DocNumber", "INV-1")) == []

    async def test_full_page_then_empty_page(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        full = qbo_json({"QueryResponse": {"Item": [{"Id": "1"}, {"Id": "2"}]}})
        route = qbo_mock.post("/query").mock(side_effect=[full, qbo_json({"QueryResponse": {}})])
        assert len(await qbo.query(Item, page_size=2)) == 2
        assert route.calls.last.request.content.endswith(b"STARTPOSITION 3 MAXRESULTS 2")

    async def test_page_size_bounds(self, qbo: QuickBooksClient) -> None:
        with pytest.raises(ValueError, match="page_size"):
            await qbo.query(Customer, page_size=1001)

    async def test_count(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        route = qbo_mock.post("/query").mock(
            return_value=qbo_json({"QueryResponse": {"totalCount": 41}})
        )
        assert await qbo.count(Customer, Q.in_("Active", [True, False])) == 41
        assert route.calls.last.request.content == (
            b"SELECT COUNT(*) FROM Customer WHERE Active IN (true, false)"
        )

    async def test_rows_that_do_not_fit_raise_our_error(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        qbo_mock.post("/query").mock(
            return_value=qbo_json({"QueryResponse": {"Customer": [{"Id": {"bad": 1}}]}})
        )
        with pytest.raises(QuickBooksError, match="did not match"):
            await qbo.query(Customer)


class TestDocumentsAndCompany:
    async def test_invoice_pdf(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj"
        route = qbo_mock.get("/invoice/238/pdf").mock(
            return_value=httpx.Response(
                200, content=pdf, headers={"Content-Type": "application/pdf"}
            )
        )
        assert await qbo.invoice_pdf("238") == pdf
        assert route.calls.last.request.headers["Accept"] == "application/pdf"
        assert route.calls.last.request.url.params["minorversion"] == "75"

    async def test_company_info(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        qbo_mock.get(f"/companyinfo/{REALM_ID}").mock(
            return_value=qbo_json(
                {
                    "CompanyInfo": {
                        "Id": "1",
                        "CompanyName": "Sandbox Co",
                        "Country": "US",
                        "SupportedLanguages": "en",
                    }
                }
            )
        )
        info = await qbo.company_info()
        assert (info.company_name, info.country) == ("Sandbox Co", "US")

    async def test_preferences(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        qbo_mock.get("/preferences").mock(
            return_value=qbo_json(
                {
                    "Preferences": {
                        "SalesFormsPrefs": {"CustomTxnNumbers": True, "AllowDiscount": True},
                        "CurrencyPrefs": {
                            "MultiCurrencyEnabled": False,
                            "HomeCurrency": {"value": "USD"},
                        },
                        "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": True},
                        "AccountingInfoPrefs": {"BookCloseDate": "2024-12-31"},
                        "OtherPrefs": {"NameValue": [{"Name": "x", "Value": "y"}]},
                    }
                }
            )
        )
        prefs = await qbo.preferences()
        assert prefs.sales_forms_prefs is not None
        assert prefs.sales_forms_prefs.custom_txn_numbers is True
        assert prefs.sales_forms_prefs.allow_discount is True
        assert prefs.currency_prefs is not None
        assert prefs.currency_prefs.home_currency == Ref(value="USD")
        assert prefs.tax_prefs is not None
        assert prefs.tax_prefs.using_sales_tax is True
        assert prefs.accounting_info_prefs is not None
        assert str(prefs.accounting_info_prefs.book_close_date) == "2024-12-31"

    async def test_answer_without_the_entity(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        qbo_mock.get("/preferences").mock(return_value=qbo_json({"time": "x"}, tid="1-t"))
        with pytest.raises(QuickBooksError, match="no valid Preferences") as caught:
            await qbo.preferences()
        assert caught.value.intuit_tid == "1-t"
