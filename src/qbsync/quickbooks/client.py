"""``QuickBooksClient``: typed QBO operations for one realm over the shared httpx client."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from qbsync.config import QuickBooksSettings
from qbsync.quickbooks import wire
from qbsync.quickbooks.batch import BatchItem, BatchResult, check_batch, read_batch_response
from qbsync.quickbooks.batching import batcher_for, sent_before
from qbsync.quickbooks.errors import QuickBooksError
from qbsync.quickbooks.limiter import RealmLimiter
from qbsync.quickbooks.query import (
    MAX_PAGE_SIZE,
    Query,
    count_statement,
    select_statement,
)
from qbsync.quickbooks.reads import UNMETERED, ReadMeter
from qbsync.quickbooks.schemas.base import (
    NameListEntity,
    QboEntity,
    TransactionEntity,
    WritableEntity,
)
from qbsync.quickbooks.schemas.company import CompanyInfo, Preferences
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.quickbooks.schemas.payment import Payment
from qbsync.quickbooks.transport import (
    JSON,
    PDF,
    TEXT,
    QboResponse,
    RealmTransport,
    TokenProvider,
    check_request_id,
)

__all__ = ["Changes", "QuickBooksClient", "TokenProvider"]

EntityT = TypeVar("EntityT", bound=QboEntity)
WritableT = TypeVar("WritableT", bound=WritableEntity)
TxnT = TypeVar("TxnT", bound=TransactionEntity)
NameT = TypeVar("NameT", bound=NameListEntity)

# Intuit: at most 1,000 objects in one change data capture answer.
MAX_CDC_OBJECTS = 1000


@functools.cache
def _list_adapter(model: type[EntityT]) -> TypeAdapter[list[EntityT]]:
    # Building a TypeAdapter generates its schema: once per model, not once per query.
    return TypeAdapter(list[model])  # type: ignore[valid-type]


# Ids go into URL paths; refuse anything that could change the path.
_PATH_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class Changes:
    """What change data capture reported: the records as they are now, and deletions."""

    records: list[QboEntity] = field(default_factory=list)
    deleted: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records) + len(self.deleted)


def _path_id(value: str) -> str:
    if not _PATH_ID.match(value):
        raise ValueError(f"not a QBO id: {value!r}")
    return value


class QuickBooksClient:
    """A cheap per-realm view: build one per unit of work; it owns no connections.

    Writes take a caller-made ``request_id`` (deterministic, from our own durable key) that
    QBO uses to dedupe: it is sent on every retry, so a write lands at most once.
    ``last_intuit_tid`` holds the id of the latest answer, for the sync log.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        realm_id: str,
        tokens: TokenProvider,
        settings: QuickBooksSettings,
        limiter: RealmLimiter,
        reads: ReadMeter = UNMETERED,
    ) -> None:
        self.realm_id = _path_id(realm_id)
        self._transport = RealmTransport(
            http,
            realm_id=realm_id,
            tokens=tokens,
            settings=settings,
            limiter=limiter,
            reads=reads,
        )

    @property
    def last_intuit_tid(self) -> str | None:
        return self._transport.last_intuit_tid

    # -- entities ------------------------------------------------------------------------

    async def create(self, entity: WritableT, *, request_id: str) -> WritableT:
        if entity.id is not None:
            raise ValueError("create() takes an entity without an Id; use update()")
        pooled = batcher_for(self.realm_id)
        if pooled is not None:
            # Concurrent syncs of one realm: this create rides in a batch request.
            written = await pooled.create(entity, request_id=check_request_id(request_id))
        else:
            # A repeat whose create may have gone out in a batch: that request again.
            written = await sent_before(self, entity, check_request_id(request_id))
        if written is not None:
            return written  # type: ignore[return-value]
        response = await self._post(type(entity).url_segment(), entity, request_id=request_id)
        return self._entity(type(entity), response)

    async def read(self, model: type[EntityT], qbo_id: str) -> EntityT:
        response = await self._transport.request("GET", f"{model.url_segment()}/{_path_id(qbo_id)}")
        return self._entity(model, response)

    async def update(self, entity: WritableT, *, request_id: str, sparse: bool = True) -> WritableT:
        """Sparse by default: only fields that are set are sent. A full update (sparse=False)
        clears every writable field the model leaves out, including ones it does not know."""
        if entity.id is None or entity.sync_token is None:
            raise ValueError("update() needs Id and SyncToken (re-read the entity first)")
        extra = {"sparse": True} if sparse else {}
        response = await self._post(
            type(entity).url_segment(), entity, request_id=request_id, extra=extra
        )
        return self._entity(type(entity), response)

    async def void_invoice(self, qbo_id: str, sync_token: str, *, request_id: str) -> Invoice:
        """Amounts go to zero and "Voided" is prepended to PrivateNote; the invoice stays."""
        stub = Invoice(id=_path_id(qbo_id), sync_token=sync_token)
        response = await self._post(
            "invoice", stub, request_id=request_id, params={"operation": "void"}
        )
        return self._entity(Invoice, response)

    async def void_payment(self, qbo_id: str, sync_token: str, *, request_id: str) -> Payment:
        # operation=void does not void a Payment; it is a sparse update with include=void.
        stub = Payment(id=_path_id(qbo_id), sync_token=sync_token)
        response = await self._post(
            "payment",
            stub,
            request_id=request_id,
            params={"operation": "update", "include": "void"},
            extra={"sparse": True},
        )
        return self._entity(Payment, response)

    async def delete(
        self, model: type[TxnT], qbo_id: str, sync_token: str, *, request_id: str
    ) -> TxnT:
        """Transactions only; the answer is a stub with ``status == "Deleted"``."""
        stub = model(id=_path_id(qbo_id), sync_token=sync_token)
        response = await self._post(
            model.url_segment(), stub, request_id=request_id, params={"operation": "delete"}
        )
        return self._entity(model, response)

    async def deactivate(
        self, model: type[NameT], qbo_id: str, sync_token: str, *, request_id: str
    ) -> NameT:
        """Name-list entities cannot be deleted; ``Active=false`` hides them (6220 when a
        customer still has an open balance)."""
        stub = model(id=_path_id(qbo_id), sync_token=sync_token, active=False)
        response = await self._post(
            model.url_segment(), stub, request_id=request_id, extra={"sparse": True}
        )
        return self._entity(model, response)

    # -- queries -------------------------------------------------------------------------

    async def query(
        self,
        model: type[EntityT],
        where: Query | None = None,
        *,
        order_by: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> list[EntityT]:
        """Every matching record, page after page, until a page comes back short."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        adapter = _list_adapter(model)
        found: list[EntityT] = []
        start = 1
        while True:
            statement = select_statement(
                model.entity_name,
                where,
                order_by=order_by,
                start_position=start,
                max_results=page_size,
            )
            page = await self._query(statement)
            rows = page.get(model.entity_name, [])
            found.extend(self._validate(adapter, rows))
            if len(rows) < page_size:
                return found
            start += page_size

    async def count(self, model: type[QboEntity], where: Query | None = None) -> int:
        page = await self._query(count_statement(model.entity_name, where))
        total = page.get("totalCount")
        if not isinstance(total, int):
            raise QuickBooksError("COUNT answer has no totalCount")
        return total

    async def _query(self, statement: str) -> dict[str, Any]:
        # POST with application/text: no URL-encoding pitfalls for quotes and backslashes.
        response = await self._transport.request(
            "POST", "query", body=statement.encode("utf-8"), content_type=TEXT
        )
        page = self._key(response, "QueryResponse")
        if not isinstance(page, dict):
            raise QuickBooksError("QueryResponse is not an object")
        return page

    # -- batch, documents, company -----------------------------------------------------

    async def batch(self, items: Sequence[BatchItem], *, request_id: str) -> list[BatchResult]:
        """Up to 30 independent items; each result holds its entity, page or error.

        Items run in no promised order and cannot see each other's creations.
        """
        check_request_id(request_id, max_length=36)
        check_batch(items, request_id)
        body = wire.dumps({"BatchItemRequest": [item.to_wire() for item in items]})
        response = await self._transport.request(
            "POST",
            "batch",
            body=body,
            content_type=JSON,
            request_id=request_id,
            reads=sum(1 for item in items if item.query is not None),
        )
        try:
            return read_batch_response(items, response.document, intuit_tid=response.intuit_tid)
        except ValidationError as exc:
            raise self._shape_error("BatchItemResponse", response) from exc

    async def invoice_pdf(self, qbo_id: str) -> bytes:
        response = await self._transport.request(
            "GET", f"invoice/{_path_id(qbo_id)}/pdf", accept=PDF
        )
        if response.document is not None:
            raise QuickBooksError("expected a PDF, got JSON", intuit_tid=response.intuit_tid)
        return response.content

    async def company_info(self) -> CompanyInfo:
        response = await self._transport.request("GET", f"companyinfo/{self.realm_id}")
        return self._entity(CompanyInfo, response)

    async def preferences(self) -> Preferences:
        response = await self._transport.request("GET", "preferences")
        return self._entity(Preferences, response)

    async def changes_since(
        self, changed_since: datetime, models: Sequence[type[QboEntity]]
    ) -> Changes:
        """Change data capture: records of ``models`` changed at or after ``changed_since``
        (at most 1,000, oldest first; a 30-day look-back), deleted ones as (entity, Id)."""
        response = await self._transport.request(
            "GET",
            "cdc",
            params={
                "entities": ",".join(model.entity_name for model in models),
                "changedSince": changed_since.isoformat(timespec="seconds"),
            },
        )
        answers = self._key(response, "CDCResponse")
        groups = answers[0].get("QueryResponse") if isinstance(answers, list) and answers else None
        if not isinstance(groups, list):
            raise self._shape_error("CDCResponse", response)
        changes = Changes()
        by_name = {model.entity_name: model for model in models}
        for group in groups:
            for name, rows in group.items() if isinstance(group, dict) else ():
                model = by_name.get(name)
                if model is None or not isinstance(rows, list):
                    continue
                for row in rows:
                    if isinstance(row, dict) and row.get("status") == "Deleted":
                        changes.deleted.append((name, str(row.get("Id"))))
                    else:
                        changes.records.append(self._validate(_list_adapter(model), [row])[0])
        return changes

    # -- helpers -------------------------------------------------------------------------

    async def _post(
        self,
        path: str,
        entity: QboEntity,
        *,
        request_id: str,
        params: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> QboResponse:
        payload = {**wire.entity_payload(entity), **(extra or {})}
        return await self._transport.request(
            "POST",
            path,
            params=params,
            body=wire.dumps(payload),
            content_type=JSON,
            request_id=check_request_id(request_id),
        )

    def _key(self, response: QboResponse, key: str) -> Any:
        document = response.document
        if not isinstance(document, dict) or key not in document:
            raise self._shape_error(key, response)
        return document[key]

    def _entity(self, model: type[EntityT], response: QboResponse) -> EntityT:
        raw = self._key(response, model.entity_name)
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            raise self._shape_error(model.entity_name, response) from exc

    def _validate(self, adapter: TypeAdapter[list[EntityT]], rows: Any) -> list[EntityT]:
        try:
            return adapter.validate_python(rows)
        except ValidationError as exc:
            raise QuickBooksError(
                "QuickBooks query rows did not match our schema",
                intuit_tid=self.last_intuit_tid,
            ) from exc

    @staticmethod
    def _shape_error(key: str, response: QboResponse) -> QuickBooksError:
        # Never include the body: it may hold customer data.
        return QuickBooksError(
            f"QuickBooks answer has no valid {key}",
            intuit_tid=response.intuit_tid,
            http_status=response.status_code,
        )
