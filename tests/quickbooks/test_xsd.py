"""What the client sends validates against Intuit's XSDs (JSON -> XML by the README rule)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from qbsync.quickbooks.batch import BatchItem
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.query import Q
from qbsync.quickbooks.schemas import (
    Customer,
    DescriptionOnlyLine,
    DiscountLine,
    DiscountLineDetail,
    EmailAddress,
    Invoice,
    Item,
    LinkedTxn,
    MemoRef,
    Payment,
    PaymentLine,
    PhysicalAddress,
    Ref,
    SalesItemLine,
    SalesItemLineDetail,
    TelephoneNumber,
)

from .conftest import qbo_json, sent_json
from .xsd import validation_errors


def _answer(entity: str) -> httpx.Response:
    return qbo_json({entity: {"Id": "1", "SyncToken": "1"}})


def _sent(route: respx.Route) -> Any:
    return sent_json(route.calls.last.request)


def _customer() -> Customer:
    address = PhysicalAddress(
        line1="1 Main St",
        city="Mountain View",
        country_sub_division_code="CA",
        postal_code="94042",
        country="USA",
    )
    return Customer(
        display_name="Acme Corp (cust-000123)",
        company_name="Acme Corp",
        given_name="Jane",
        family_name="Doe",
        primary_email_addr=EmailAddress(address="billing@acme.example"),
        primary_phone=TelephoneNumber(free_form_number="(555) 555-0100"),
        bill_addr=address,
        ship_addr=address,
        notes="aforo customer cust-000123",
        currency_ref=Ref(value="USD"),
    )


def _invoice() -> Invoice:
    return Invoice(
        customer_ref=Ref(value="67", name="Acme Corp"),
        doc_number="INV-2025-0001",
        txn_date=date(2025, 11, 1),
        due_date=date(2025, 12, 1),
        sales_term_ref=Ref(value="3"),
        bill_email=EmailAddress(address="billing@acme.example"),
        private_note="aforo invoice in_abc123",
        customer_memo=MemoRef(value="Thank you for your business."),
        line=[
            SalesItemLine(
                amount=Decimal("98.00"),
                description="Pro Plan, Nov 2025",
                sales_item_line_detail=SalesItemLineDetail(
                    item_ref=Ref(value="10"),
                    qty=Decimal("2"),
                    unit_price=Decimal("49.00"),
                    tax_code_ref=Ref(value="NON"),
                    service_date=date(2025, 11, 1),
                ),
            ),
            SalesItemLine(
                amount=Decimal("0.00"),
                description="Included usage, 0 units",
                sales_item_line_detail=SalesItemLineDetail(
                    item_ref=Ref(value="11"), qty=Decimal("0"), unit_price=Decimal("0.1000000")
                ),
            ),
            DiscountLine(
                amount=Decimal("9.80"),
                discount_line_detail=DiscountLineDetail(
                    percent_based=True,
                    discount_percent=Decimal("10"),
                    discount_account_ref=Ref(value="86"),
                ),
            ),
            DescriptionOnlyLine(description="Billing period 2025-11-01 to 2025-11-30"),
        ],
    )


def _payment() -> Payment:
    return Payment(
        customer_ref=Ref(value="67"),
        total_amt=Decimal("110.50"),
        txn_date=date(2025, 11, 5),
        payment_ref_num="ch_3Pxyz",
        payment_method_ref=Ref(value="3"),
        deposit_to_account_ref=Ref(value="35"),
        private_note="aforo payment py_789",
        line=[
            PaymentLine(
                amount=Decimal("100.00"),
                linked_txn=[LinkedTxn(txn_id="238", txn_type="Invoice")],
            ),
            PaymentLine(
                amount=Decimal("10.50"),
                linked_txn=[LinkedTxn(txn_id="239", txn_type="Invoice")],
            ),
        ],
    )


class TestCreatePayloads:
    async def test_customer(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        route = qbo_mock.post("/customer").mock(return_value=_answer("Customer"))
        await qbo.create(_customer(), request_id="c-1")
        assert validation_errors("Customer", _sent(route)) == []

    async def test_item(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        route = qbo_mock.post("/item").mock(return_value=_answer("Item"))
        item = Item(
            name="Pro Plan Subscription",
            type="Service",
            income_account_ref=Ref(value="1", name="Services"),
            description="Monthly subscription",
            unit_price=Decimal("49.00"),
            taxable=False,
            sku="plan-pro",
        )
        await qbo.create(item, request_id="i-1")
        assert validation_errors("Item", _sent(route)) == []

    async def test_invoice_with_sales_discount_zero_and_description_lines(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        route = qbo_mock.post("/invoice").mock(return_value=_answer("Invoice"))
        await qbo.create(_invoice(), request_id="inv-1")
        sent = _sent(route)
        assert [line["DetailType"] for line in sent["Line"]] == [
            "SalesItemLineDetail",
            "SalesItemLineDetail",
            "DiscountLineDetail",
            "DescriptionOnly",
        ]
        assert validation_errors("Invoice", sent) == []

    async def test_payment_with_linked_txn(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        route = qbo_mock.post("/payment").mock(return_value=_answer("Payment"))
        await qbo.create(_payment(), request_id="p-1")
        assert validation_errors("Payment", _sent(route)) == []


class TestOtherWrites:
    async def test_sparse_update_and_deactivate(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        route = qbo_mock.post("/customer").mock(return_value=_answer("Customer"))
        change = _customer().model_copy(update={"id": "67", "sync_token": "2"})
        await qbo.update(change, request_id="u-1")
        assert validation_errors("Customer", _sent(route)) == []
        await qbo.deactivate(Customer, "67", "3", request_id="d-1")
        assert validation_errors("Customer", _sent(route)) == []

    async def test_void_and_delete(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        invoice_route = qbo_mock.post("/invoice").mock(return_value=_answer("Invoice"))
        payment_route = qbo_mock.post("/payment").mock(return_value=_answer("Payment"))
        await qbo.void_invoice("238", "0", request_id="v-1")
        assert validation_errors("Invoice", _sent(invoice_route)) == []
        await qbo.delete(Invoice, "238", "1", request_id="del-1")
        assert validation_errors("Invoice", _sent(invoice_route)) == []
        await qbo.void_payment("125", "0", request_id="v-2")
        assert validation_errors("Payment", _sent(payment_route)) == []

    async def test_batch(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        route = qbo_mock.post("/batch").mock(return_value=qbo_json({"BatchItemResponse": []}))
        items = [
            BatchItem.create("c1", _customer()),
            BatchItem.create("i1", _invoice()),
            BatchItem.create("p1", _payment()),
            BatchItem.update("u1", Customer(id="5", sync_token="0", notes="x")),
            BatchItem.delete("d1", Invoice, "129", "0"),
            BatchItem.void("v1", Payment, "125", "1"),
            BatchItem.select("q1", Customer, Q.eq("DisplayName", "O'Brien")),
        ]
        await qbo.batch(items, request_id="batch-1")
        assert validation_errors("IntuitBatchRequest", _sent(route)) == []


class TestTheCheckCanFail:
    """The converter and schema reject what QBO would reject; otherwise the tests above
    would prove nothing."""

    @pytest.mark.parametrize(
        "payload",
        [
            {"DisplayName": "x", "BadJson": True},
            {"DisplayName": "x", "Balance": "lots"},
            {"DisplayName": "x", "Active": "yes"},
            {"DisplayName": "x", "sparse": "maybe"},
        ],
    )
    def test_bad_customers(self, payload: dict[str, Any]) -> None:
        assert validation_errors("Customer", payload) != []

    def test_bad_line(self) -> None:
        payload = {"Line": [{"Amount": 1, "DetailType": "NoSuchDetail"}]}
        assert validation_errors("Invoice", payload) != []
