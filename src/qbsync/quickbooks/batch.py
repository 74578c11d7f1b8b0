"""Batch items to send and the per-item results: entity, query page, or our error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qbsync.quickbooks import wire
from qbsync.quickbooks.errors import QuickBooksError, QuickBooksUnavailable, error_from_fault
from qbsync.quickbooks.query import Query, select_statement
from qbsync.quickbooks.schemas.base import QboEntity, TransactionEntity, WritableEntity
from qbsync.quickbooks.schemas.batch import BatchOperation, BatchResponse, QueryResponse

MAX_BATCH_ITEMS = 30
# QBO: requestid ≤ 36 for batch, and requestid + longest bId ≤ 50 (the .NET SDK enforces it).
MAX_BATCH_REQUEST_ID = 36
MAX_REQUEST_ID_PLUS_BID = 50


@dataclass(frozen=True)
class BatchItem:
    """One operation in a batch. Build with the class methods, not the constructor."""

    b_id: str
    operation: BatchOperation | None = None
    entity: QboEntity | None = None
    sparse: bool = False
    query: str | None = None
    options_data: str | None = None

    @classmethod
    def create(cls, b_id: str, entity: WritableEntity) -> BatchItem:
        return cls(b_id, "create", entity)

    @classmethod
    def update(cls, b_id: str, entity: WritableEntity, *, sparse: bool = True) -> BatchItem:
        if entity.id is None or entity.sync_token is None:
            raise ValueError("an update needs Id and SyncToken")
        return cls(b_id, "update", entity, sparse=sparse)

    @classmethod
    def delete(
        cls, b_id: str, model: type[TransactionEntity], qbo_id: str, sync_token: str
    ) -> BatchItem:
        return cls(b_id, "delete", model(id=qbo_id, sync_token=sync_token))

    @classmethod
    def void(
        cls, b_id: str, model: type[TransactionEntity], qbo_id: str, sync_token: str
    ) -> BatchItem:
        """Void inside a batch: ``operation=update`` with ``optionsData=void`` (Intuit blog
        2023-07-19 "Batch without a scratch")."""
        stub = model(id=qbo_id, sync_token=sync_token)
        return cls(b_id, "update", stub, sparse=True, options_data="void")

    @classmethod
    def select(
        cls,
        b_id: str,
        model: type[QboEntity],
        where: Query | None = None,
        *,
        order_by: str | None = None,
        max_results: int = 1000,
    ) -> BatchItem:
        statement = select_statement(
            model.entity_name, where, order_by=order_by, max_results=max_results
        )
        return cls(b_id, query=statement)

    def to_wire(self) -> dict[str, Any]:
        """The ``BatchItemRequest`` element as JSON: the payload is keyed by entity name."""
        item: dict[str, Any] = {"bId": self.b_id}
        if self.operation is not None:
            item["operation"] = self.operation
        if self.options_data is not None:
            item["optionsData"] = self.options_data
        if self.query is not None:
            item["Query"] = self.query
        elif self.entity is not None:
            payload = wire.entity_payload(self.entity)
            if self.sparse:
                payload["sparse"] = True
            item[self.entity.entity_name] = payload
        return item


@dataclass(frozen=True)
class BatchResult:
    """The outcome of one item: exactly one of ``entity``, ``query_response`` or ``error``."""

    b_id: str
    entity: QboEntity | None = None
    query_response: QueryResponse | None = None
    error: QuickBooksError | None = None
    missing: bool = False  # the answer has no result for the item (its ``error`` says so)

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> QboEntity | QueryResponse | None:
        if self.error is not None:
            raise self.error
        return self.entity if self.entity is not None else self.query_response


def check_batch(items: Sequence[BatchItem], request_id: str) -> None:
    if not items:
        raise ValueError("a batch needs at least one item")
    if len(items) > MAX_BATCH_ITEMS:
        raise ValueError(f"a batch holds at most {MAX_BATCH_ITEMS} items, got {len(items)}")
    b_ids = [item.b_id for item in items]
    if len(set(b_ids)) != len(b_ids) or not all(b_ids):
        raise ValueError("bIds must be non-empty and unique within a batch")
    if len(request_id) + max(len(b_id) for b_id in b_ids) > MAX_REQUEST_ID_PLUS_BID:
        raise ValueError(f"requestid + longest bId must be ≤ {MAX_REQUEST_ID_PLUS_BID} characters")


def read_batch_response(
    items: Sequence[BatchItem], document: Any, *, intuit_tid: str | None
) -> list[BatchResult]:
    """Results in the order of ``items``; QBO does not promise to answer in order."""
    response = BatchResponse.model_validate(document)
    by_id = {answer.b_id: answer for answer in response.batch_item_response}
    results = []
    for item in items:
        answer = by_id.get(item.b_id)
        if answer is None:
            # The outcome is unknown; resending the batch with the same requestid is safe.
            missing = QuickBooksUnavailable(
                f"batch answer has no result for bId {item.b_id}", intuit_tid=intuit_tid
            )
            results.append(BatchResult(item.b_id, error=missing, missing=True))
        elif answer.fault is not None:
            error = error_from_fault(answer.fault, status=None)
            error.intuit_tid = intuit_tid
            results.append(BatchResult(item.b_id, error=error))
        elif answer.query_response is not None:
            results.append(BatchResult(item.b_id, query_response=answer.query_response))
        else:
            results.append(BatchResult(item.b_id, entity=answer.entity))
    return results
