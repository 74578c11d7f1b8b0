"""QuickBooksClient operations against respx: URLs, params, headers and bodies on the wire."""

from __future__ import annotations

import logging
from decimal import Decimal

import httpx
import pytest
import respx

from qbsync.config import QuickBooksSettings
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.limiter import RealmLimiter
from qbsync.quickbooks.schemas import (
    Customer,
    DiscountLine,
    DiscountLineDetail,
    Invoice,
    Item,
    LinkedTxn,
    Payment,
    PaymentLine,
    Ref,
    SalesItemLine,
    SalesItemLineDetail,
    SubTotalLine,
)

from .conftest import REALM_ID, USER_AGENT, FakeTokens, qbo_json, sent_json

CUSTOMER_ANSWER = (
    b'{"Customer":{"Taxable":true,"Balance":0,"domain":"QBO","sparse":false,"Id":"70",'
    b'"SyncToken":"0","MetaData":{"CreateTime":"2020-09-29T05:58:16-07:00",'
    b'"LastUpdatedTime":"2020-09-29T05:58:16-07:00"},"DisplayName":"Doe5, Jane",'
    b'"Active":true,"NewFieldFrom2030":{"x":1}},"time":"2020-09-29T05:58:16.187-07:00"}'
)


def _answer(body: bytes, tid: str = "1-abc") -> httpx.Response:
    return httpx.Response(
        200, content=body, headers={"Content-Type": "application/json", "intuit_tid": tid}
    )


def _assert_common(request: httpx.Request, *, token: str = "token-0") -> None:
    assert request.url.params["minorversion"] == "75"
    assert request.headers["Authorization"] == f"Bearer {token}"
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.headers["Accept"] == "application/json"


class TestCreate:
    async def test_customer(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        route = qbo_mock.post("/customer").mock(return_value=_answer(CUSTOMER_ANSWER, "1-tid-7"))
        created = await qbo.create(
            Customer(display_name="Doe5, Jane", notes="aforo cust-1"), request_id="cust-1-v1"
        )
        request = route.calls.last.request
        _assert_common(request)
        assert request.url.params["requestid"] == "cust-1-v1"
        assert request.headers["Content-Type"] == "application/json"
        assert request.content == b'{"DisplayName":"Doe5, Jane","Notes":"aforo cust-1"}'
        assert (created.id, created.sync_token, created.display_name) == ("70", "0", "Doe5, Jane")
        assert created.meta_data is not None
        assert created.meta_data.create_time is not None
        assert created.meta_data.create_time.utcoffset() is not None
        assert created.meta_data.create_time.hour == 12  # 05:58 Pacific is 12:58 UTC
        assert qbo.last_intuit_tid == "1-tid-7"

    async def test_invoice_money_is_exact(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        answer = (
            b'{"Invoice":{"Id":"238","SyncToken":"0","TotalAmt":110.50,"Balance":110.5,'
            b'"Line":[{"Id":"1","LineNum":1,"Amount":12.50,"DetailType":"SalesItemLineDetail",'
            b'"SalesItemLineDetail":{"ItemRef":{"value":"11"},"Qty":125,"UnitPrice":0.1}},'
            b'{"Amount":110.50,"DetailType":"SubTotalLineDetail","SubTotalLineDetail":{}}]}}'
        )
        route = qbo_mock.post("/invoice").mock(return_value=_answer(answer))
        invoice = Invoice(
            customer_ref=Ref(value="67"),
            doc_number="INV-2025-0001",
            line=[
                SalesItemLine(
                    amount=Decimal("12.50"),
                    sales_item_line_detail=SalesItemLineDetail(
                        item_ref=Ref(value="11"), qty=Decimal("125"), unit_price=Decimal("0.10")
                    ),
                ),
                DiscountLine(
                    amount=Decimal("0.30"),
                    discount_line_detail=DiscountLineDetail(percent_based=False),
                ),
            ],
        )
        created = await qbo.create(invoice, request_id="inv-9")
        body = route.calls.last.request.content
        assert b'"Amount":12.50' in body
        assert b'"UnitPrice":0.10' in body
        assert b'"Amount":0.30' in body
        assert sent_json(route.calls.last.request)["Line"][1]["DetailType"] == "DiscountLineDetail"
        assert created.total_amt == Decimal("110.50")
        assert created.line is not None
        assert isinstance(created.line[0], SalesItemLine)
        assert created.line[0].sales_item_line_detail.unit_price == Decimal("0.1")
        assert isinstance(created.line[1], SubTotalLine)

    async def test_create_with_an_id_is_refused(self, qbo: QuickBooksClient) -> None:
        with pytest.raises(ValueError, match="without an Id"):
            await qbo.create(Customer(id="1", display_name="x"), request_id="r")

    @pytest.mark.parametrize("request_id", ["", "x" * 51, "has space", "quote'", "a/b"])
    async def test_request_id_is_checked(self, qbo: QuickBooksClient, request_id: str) -> None:
        with pytest.raises(ValueError, match="requestid"):
            await qbo.create(Customer(display_name="x"), request_id=request_id)


class TestReadUpdate:
    async def test_read(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        route = qbo_mock.get("/customer/70").mock(return_value=_answer(CUSTOMER_ANSWER))
        customer = await qbo.read(Customer, "70")
        request = route.calls.last.request
        _assert_common(request)
        assert "requestid" not in request.url.params
        assert "Content-Type" not in request.headers
        assert customer.display_name == "Doe5, Jane"

    async def test_read_refuses_path_tricks(self, qbo: QuickBooksClient) -> None:
        with pytest.raises(ValueError, match="not a QBO id"):
            await qbo.read(Customer, "1/../../preferences")

    async def test_sparse_update(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        route = qbo_mock.post("/customer").mock(return_value=_answer(CUSTOMER_ANSWER))
        change = Customer(id="70", sync_token="3", primary_email_addr={"Address": "a@b.co"})
        await qbo.update(change, request_id="upd-70-4")
        request = route.calls.last.request
        assert request.url.params["requestid"] == "upd-70-4"
        assert sent_json(request) == {
            "Id": "70",
            "SyncToken": "3",
            "PrimaryEmailAddr": {"Address": "a@b.co"},
            "sparse": True,
        }

    async def test_full_update_drops_read_only_fields(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        route = qbo_mock.post("/item").mock(
            return_value=_answer(b'{"Item":{"Id":"5","SyncToken":"2","Name":"Pro"}}')
        )
        item = Item.model_validate(
            {
                "Id": "5",
                "SyncToken": "1",
                "Name": "Pro",
                "domain": "QBO",
                "sparse": False,
                "MetaData": {"CreateTime": "2020-09-29T05:58:16-07:00"},
                "Type": "Service",
            }
        )
        updated = await qbo.update(item, request_id="item-5", sparse=False)
        assert sent_json(route.calls.last.request) == {
            "Id": "5",
            "SyncToken": "1",
            "Name": "Pro",
            "Type": "Service",
        }
        assert updated.sync_token == "2"

    async def test_update_needs_id_and_sync_token(self, qbo: QuickBooksClient) -> None:
        with pytest.raises(ValueError, match="SyncToken"):
            await qbo.update(Customer(id="1", display_name="x"), request_id="r")


class TestVoidDeleteDeactivate:
    async def test_void_invoice(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        route = qbo_mock.post("/invoice").mock(
            return_value=_answer(
                b'{"Invoice":{"Id":"129","SyncToken":"1","PrivateNote":"Voided","TotalAmt":0}}'
            )
        )
        voided = await qbo.void_invoice("129", "0", request_id="void-129")
        request = route.calls.last.request
        assert dict(request.url.params) == {
            "minorversion": "75",
            "operation": "void",
            "requestid": "void-129",
        }
        assert sent_json(request) == {"Id": "129", "SyncToken": "0"}
        assert voided.total_amt == 0

    async def test_void_payment(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        route = qbo_mock.post("/payment").mock(
            return_value=_answer(b'{"Payment":{"Id":"125","SyncToken":"2","TotalAmt":0,"Line":[]}}')
        )
        voided = await qbo.void_payment("125", "1", request_id="void-p-125")
        request = route.calls.last.request
        assert dict(request.url.params) == {
            "minorversion": "75",
            "operation": "update",
            "include": "void",
            "requestid": "void-p-125",
        }
        assert sent_json(request) == {"Id": "125", "SyncToken": "1", "sparse": True}
        assert voided.line == []

    async def test_delete_invoice(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        route = qbo_mock.post("/invoice").mock(
            return_value=_answer(b'{"Invoice":{"domain":"QBO","status":"Deleted","Id":"266"}}')
        )
        deleted = await qbo.delete(Invoice, "266", "3", request_id="del-266")
        request = route.calls.last.request
        assert request.url.params["operation"] == "delete"
        assert sent_json(request) == {"Id": "266", "SyncToken": "3"}
        assert (deleted.id, deleted.status) == ("266", "Deleted")

    async def test_deactivate_customer(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        route = qbo_mock.post("/customer").mock(
            return_value=_answer(b'{"Customer":{"Id":"70","SyncToken":"5","Active":false}}')
        )
        customer = await qbo.deactivate(Customer, "70", "4", request_id="deact-70")
        request = route.calls.last.request
        assert "operation" not in request.url.params
        assert sent_json(request) == {"Id": "70", "SyncToken": "4", "Active": False, "sparse": True}
        assert customer.active is False


class TestLogging:
    async def test_one_debug_line_without_secrets(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router, caplog: pytest.LogCaptureFixture
    ) -> None:
        qbo_mock.post("/payment").mock(return_value=_answer(b'{"Payment":{"Id":"9"}}', "1-log"))
        payment = Payment(
            customer_ref=Ref(value="67"),
            total_amt=Decimal("110.50"),
            line=[
                PaymentLine(
                    amount=Decimal("110.50"),
                    linked_txn=[LinkedTxn(txn_id="238", txn_type="Invoice")],
                )
            ],
            private_note="secret-note",
        )
        with caplog.at_level(logging.DEBUG, logger="qbsync.quickbooks"):
            await qbo.create(payment, request_id="pay-1")
        records = [r for r in caplog.records if r.getMessage() == "qbo request"]
        assert len(records) == 1
        record = records[0]
        assert record.__dict__["method"] == "POST"
        assert record.__dict__["path"] == f"/v3/company/{REALM_ID}/payment"
        assert record.__dict__["status"] == 200
        assert record.__dict__["intuit_tid"] == "1-log"
        assert isinstance(record.__dict__["duration_ms"], float)
        everything = " ".join(str(v) for v in record.__dict__.values())
        assert "token-0" not in everything
        assert "secret-note" not in everything


class TestSettings:
    @pytest.mark.parametrize(
        ("environment", "host"),
        [
            ("sandbox", "sandbox-quickbooks.api.intuit.com"),
            ("production", "quickbooks.api.intuit.com"),
        ],
    )
    async def test_base_url_and_minor_version(
        self, tokens: FakeTokens, limiter: RealmLimiter, environment: str, host: str
    ) -> None:
        seen: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return qbo_json({"Preferences": {"Id": "1"}})

        settings = QuickBooksSettings(environment=environment, minor_version=76)
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
            qbo = QuickBooksClient(
                http, realm_id="123", tokens=tokens, settings=settings, limiter=limiter
            )
            await qbo.preferences()
        [request] = seen
        assert request.url.host == host
        assert request.url.scheme == "https"
        assert request.url.path == "/v3/company/123/preferences"
        assert request.url.params["minorversion"] == "76"

    def test_realm_id_is_checked(
        self, http: httpx.AsyncClient, tokens: FakeTokens, limiter: RealmLimiter
    ) -> None:
        with pytest.raises(ValueError, match="not a QBO id"):
            QuickBooksClient(
                http,
                realm_id="123/../456",
                tokens=tokens,
                settings=QuickBooksSettings(),
                limiter=limiter,
            )
