"""Batch: what goes on the wire, per-item results and faults, and the size rules."""

from __future__ import annotations

from typing import Any

import pytest
import respx

from qbsync.quickbooks.batch import BatchItem
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.errors import (
    QuickBooksDuplicateName,
    QuickBooksNotFound,
    QuickBooksStaleObject,
    QuickBooksUnavailable,
    QuickBooksValidationError,
)
from qbsync.quickbooks.query import Q
from qbsync.quickbooks.schemas import Customer, Invoice, Payment
from qbsync.quickbooks.schemas.batch import BatchItemResponse, QueryResponse
from qbsync.quickbooks.schemas.credit import CreditMemo, RefundReceipt
from qbsync.sync.registry import kinds

from .conftest import fault, qbo_json, sent_json


def _item_fault(code: str, message: str) -> Any:
    return fault(code, message)["Fault"]


class TestBatch:
    async def test_mixed_results(self, qbo: QuickBooksClient, qbo_mock: respx.Router) -> None:
        answer = {
            "BatchItemResponse": [
                # Out of order on purpose: QBO does not promise the request order.
                {
                    "bId": "q5",
                    "QueryResponse": {
                        "Invoice": [{"Id": "7", "DocNumber": "A-1"}],
                        "startPosition": 1,
                        "maxResults": 1,
                    },
                },
                {
                    "bId": "c1",
                    "Customer": {"Id": "71", "SyncToken": "0", "DisplayName": "Smith Family Store"},
                },
                {"bId": "c2", "Fault": _item_fault("6240", "Duplicate Name Exists Error")},
                {"bId": "i3", "Fault": _item_fault("610", "Object Not Found")},
                {"bId": "u4", "Fault": _item_fault("5010", "Stale Object Error")},
                {"bId": "p6", "Payment": {"Id": "125", "SyncToken": "2", "TotalAmt": 0}},
            ],
            "time": "2025-11-01T10:00:00.000-07:00",
        }
        route = qbo_mock.post("/batch").mock(return_value=qbo_json(answer, tid="1-batch"))
        items = [
            BatchItem.create("c1", Customer(display_name="Smith Family Store")),
            BatchItem.create("c2", Customer(display_name="Taken")),
            BatchItem.delete("i3", Invoice, "129", "0"),
            BatchItem.update("u4", Customer(id="11", sync_token="0", notes="n")),
            BatchItem.select("q5", Invoice, Q.eq("DocNumber", "A-1")),
            BatchItem.void("p6", Payment, "125", "1"),
        ]
        results = await qbo.batch(items, request_id="batch-2025-11-01-1")

        request = route.calls.last.request
        assert request.url.params["requestid"] == "batch-2025-11-01-1"
        assert request.url.params["minorversion"] == "75"
        assert request.headers["Content-Type"] == "application/json"
        assert sent_json(request) == {
            "BatchItemRequest": [
                {
                    "bId": "c1",
                    "operation": "create",
                    "Customer": {"DisplayName": "Smith Family Store"},
                },
                {"bId": "c2", "operation": "create", "Customer": {"DisplayName": "Taken"}},
                {"bId": "i3", "operation": "delete", "Invoice": {"Id": "129", "SyncToken": "0"}},
                {
                    "bId": "u4",
                    "operation": "update",
                    "Customer": {"Id": "11", "SyncToken": "0", "Notes": "n", "sparse": True},
                },
                {
                    "bId": "q5",
                    "Query": "SELECT * FROM Invoice WHERE DocNumber = 'A-1'"
                    " STARTPOSITION 1 MAXRESULTS 1000",
                },
                {
                    "bId": "p6",
                    "operation": "update",
                    "optionsData": "void",
                    "Payment": {"Id": "125", "SyncToken": "1", "sparse": True},
                },
            ]
        }

        assert [r.b_id for r in results] == ["c1", "c2", "i3", "u4", "q5", "p6"]
        created = results[0].unwrap()
        assert isinstance(created, Customer)
        assert created.id == "71"
        assert isinstance(results[1].error, QuickBooksDuplicateName)
        assert results[1].error.intuit_tid == "1-batch"
        assert isinstance(results[2].error, QuickBooksNotFound)
        assert isinstance(results[3].error, QuickBooksStaleObject)
        with pytest.raises(QuickBooksStaleObject):
            results[3].unwrap()
        page = results[4].query_response
        assert page is not None
        assert page.invoice is not None
        assert page.invoice[0].doc_number == "A-1"
        assert isinstance(results[5].entity, Payment)
        assert [r.ok for r in results] == [True, False, False, False, True, True]

    async def test_credit_memo_and_refund_receipt_answers(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        # A burst of credit notes or refunds rides a batch like any other kind: each item's
        # answer must come back as its entity, not as "no entity for the item".
        answer = {
            "BatchItemResponse": [
                {"bId": "m1", "CreditMemo": {"Id": "301", "SyncToken": "0", "TotalAmt": 12.5}},
                {"bId": "r2", "RefundReceipt": {"Id": "302", "SyncToken": "0", "TotalAmt": 7}},
            ]
        }
        qbo_mock.post("/batch").mock(return_value=qbo_json(answer))
        memo, refund = await qbo.batch(
            [
                BatchItem.create("m1", CreditMemo(doc_number="CN-1")),
                BatchItem.create("r2", RefundReceipt(doc_number="RF-1")),
            ],
            request_id="b-credit",
        )
        assert isinstance(memo.entity, CreditMemo)
        assert memo.entity.id == "301"
        assert isinstance(refund.entity, RefundReceipt)
        assert refund.entity.id == "302"

    @pytest.mark.parametrize("kind", kinds(), ids=lambda kind: kind.entity_type)
    def test_every_synced_entity_has_a_slot_in_answers(self, kind: Any) -> None:
        name = kind.quickbooks_model.entity_name
        body = {"Id": "1", "SyncToken": "0"}
        answer = BatchItemResponse.model_validate({"bId": "1", name: body})
        assert isinstance(answer.entity, kind.quickbooks_model)
        page = QueryResponse.model_validate({name: [body]})
        assert [type(found) for found in page.entities()] == [kind.quickbooks_model]

    async def test_missing_answer_is_unavailable(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        qbo_mock.post("/batch").mock(return_value=qbo_json({"BatchItemResponse": []}))
        [result] = await qbo.batch(
            [BatchItem.create("c1", Customer(display_name="x"))], request_id="b-1"
        )
        assert isinstance(result.error, QuickBooksUnavailable)

    async def test_batch_level_fault_raises(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        qbo_mock.post("/batch").mock(
            return_value=qbo_json(fault("1040", "Batch size exceeds allowed limit"), 400)
        )
        with pytest.raises(QuickBooksValidationError, match="Batch size"):
            await qbo.batch([BatchItem.create("c1", Customer(display_name="x"))], request_id="b")


class TestBatchRules:
    async def test_more_than_30_items(self, qbo: QuickBooksClient) -> None:
        items = [BatchItem.create(f"c{n}", Customer(display_name=f"n{n}")) for n in range(31)]
        with pytest.raises(ValueError, match="at most 30"):
            await qbo.batch(items, request_id="b")

    async def test_exactly_30_items_are_sent(
        self, qbo: QuickBooksClient, qbo_mock: respx.Router
    ) -> None:
        route = qbo_mock.post("/batch").mock(return_value=qbo_json({"BatchItemResponse": []}))
        items = [BatchItem.create(f"c{n}", Customer(display_name=f"n{n}")) for n in range(30)]
        results = await qbo.batch(items, request_id="b")
        assert len(sent_json(route.calls.last.request)["BatchItemRequest"]) == 30
        assert len(results) == 30

    async def test_empty_batch(self, qbo: QuickBooksClient) -> None:
        with pytest.raises(ValueError, match="at least one"):
            await qbo.batch([], request_id="b")

    async def test_batch_request_id_is_at_most_36(self, qbo: QuickBooksClient) -> None:
        items = [BatchItem.create("c1", Customer(display_name="x"))]
        with pytest.raises(ValueError, match="requestid"):
            await qbo.batch(items, request_id="x" * 37)

    async def test_request_id_plus_bid_is_at_most_50(self, qbo: QuickBooksClient) -> None:
        items = [BatchItem.create("b" * 15, Customer(display_name="x"))]
        with pytest.raises(ValueError, match="longest bId"):
            await qbo.batch(items, request_id="r" * 36)

    async def test_bids_are_unique(self, qbo: QuickBooksClient) -> None:
        items = [
            BatchItem.create("c1", Customer(display_name="x")),
            BatchItem.create("c1", Customer(display_name="y")),
        ]
        with pytest.raises(ValueError, match="unique"):
            await qbo.batch(items, request_id="b")

    def test_update_needs_sync_token(self) -> None:
        with pytest.raises(ValueError, match="SyncToken"):
            BatchItem.update("u", Customer(id="1"))
