"""Query and batch envelopes on the wire (``QueryResponse``, ``BatchItemRequest/Response``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from qbsync.quickbooks.schemas.base import QboEntity, QboModel
from qbsync.quickbooks.schemas.credit import CreditMemo, RefundReceipt
from qbsync.quickbooks.schemas.fault import Fault
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.quickbooks.schemas.names import Account, Customer, Item, Vendor
from qbsync.quickbooks.schemas.payment import Payment

BatchOperation = Literal["create", "update", "delete"]


class _EntitySlots(QboModel):
    """One optional slot per entity: the wire keys each payload by its entity name."""

    customer: Customer | None = None
    vendor: Vendor | None = None
    item: Item | None = None
    account: Account | None = None
    invoice: Invoice | None = None
    payment: Payment | None = None
    credit_memo: CreditMemo | None = None
    refund_receipt: RefundReceipt | None = None

    @property
    def entity(self) -> QboEntity | None:
        slots = (getattr(self, name) for name in _ENTITY_SLOTS)
        return next((slot for slot in slots if slot is not None), None)


# Every entity qbsync writes or reads needs a slot here and in ``QueryResponse``: an answer
# keyed by an entity without one is dropped (a batch item "without an entity").
_ENTITY_SLOTS = tuple(_EntitySlots.model_fields)


class QueryResponse(QboModel):
    """A page of query results; the entity key is absent when nothing matched."""

    start_position: int | None = Field(default=None, alias="startPosition")
    max_results: int | None = Field(default=None, alias="maxResults")
    total_count: int | None = Field(default=None, alias="totalCount")
    customer: list[Customer] | None = None
    vendor: list[Vendor] | None = None
    item: list[Item] | None = None
    account: list[Account] | None = None
    invoice: list[Invoice] | None = None
    payment: list[Payment] | None = None
    credit_memo: list[CreditMemo] | None = None
    refund_receipt: list[RefundReceipt] | None = None

    def entities(self) -> list[QboEntity]:
        lists = (getattr(self, name) for name in _ENTITY_SLOTS)
        return [entity for found in lists if found for entity in found]


class BatchItemRequest(_EntitySlots):
    """``bId``, ``operation`` and ``optionsData`` are attributes in the schema: lower-case."""

    b_id: str = Field(alias="bId")
    operation: BatchOperation | None = Field(default=None, alias="operation")
    # "void" with operation=update voids a transaction inside a batch.
    options_data: str | None = Field(default=None, alias="optionsData")
    query: str | None = None


class BatchItemResponse(_EntitySlots):
    b_id: str = Field(alias="bId")
    fault: Fault | None = None
    query_response: QueryResponse | None = None


class BatchRequest(QboModel):
    batch_item_request: list[BatchItemRequest]


class BatchResponse(QboModel):
    batch_item_response: list[BatchItemResponse] = Field(default_factory=list)
