"""One emulated QBO company: its records, Id sequences, requestid replay store and request log."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from qbo_emulator import clock
from qbo_emulator.changes import Change, ChangeListener, ChangeOperation
from qbo_emulator.wire import JsonObject

Environment = Literal["sandbox", "production"]
RecordState = Literal["active", "inactive", "voided", "deleted"]


@dataclass
class Record:
    """One stored entity. ``body`` holds the writable fields as QBO keeps them; computed
    fields (TotalAmt, Balance, MetaData, ...) are added when the record is rendered."""

    entity: str
    id: str
    body: JsonObject
    created_at: datetime = field(default_factory=clock.now)
    updated_at: datetime = field(default_factory=clock.now)
    sync_token: int = 0
    voided: bool = False
    deleted: bool = False

    @property
    def state(self) -> RecordState:
        if self.deleted:
            return "deleted"
        if self.voided:
            return "voided"
        if self.body.get("Active") is False:
            return "inactive"
        return "active"

    @property
    def is_usable(self) -> bool:
        """May other records reference it (QBO answers 610 for deleted or inactive ones)."""
        return self.state == "active"

    def touch(self) -> None:
        """Count one change: SyncToken goes up by one and LastUpdatedTime moves."""
        self.sync_token += 1
        self.updated_at = clock.now()


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes
    media_type: str


class LoggedRequest(BaseModel):
    method: str
    path: str
    query: str
    requestid: str | None
    status: int
    # The injected failure, if any: http_500, http_503, timeout, throttle, lost_response, stale.
    fault: str | None = None
    at: datetime
    # What the client sent: a few headers, credentials redacted (see requestlog.py), and the
    # body (the OAuth endpoints' credential fields redacted too).
    headers: dict[str, str] = {}
    body: str | None = None


@dataclass
class Realm:
    realm_id: str
    company_name: str
    environment: Environment
    records: dict[str, dict[str, Record]] = field(default_factory=lambda: defaultdict(dict))
    replay: dict[str, StoredResponse] = field(default_factory=dict)
    log: list[LoggedRequest] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Payment applications: invoice Id -> {payment Id: amount applied}.
    applied: dict[str, dict[str, Decimal]] = field(default_factory=lambda: defaultdict(dict))
    # Credit memos used by payments: credit memo Id -> {payment Id: amount used}.
    credited: dict[str, dict[str, Decimal]] = field(default_factory=lambda: defaultdict(dict))
    # Payments (or sales receipts) in a bank deposit: (entity, Id) -> deposit Id.
    deposited: dict[tuple[str, str], str] = field(default_factory=dict)
    next_doc_number: int = 1001
    # Told of every change made through the API or by "a person" (webhooks listen here).
    listeners: list[ChangeListener] = field(default_factory=list)
    _sequences: dict[str, int] = field(default_factory=dict)

    def get(self, entity: str, record_id: str) -> Record | None:
        return self.records[entity].get(record_id)

    def all(self, entity: str) -> list[Record]:
        return list(self.records[entity].values())

    def add(self, entity: str, body: JsonObject, *, record_id: str | None = None) -> Record:
        if record_id is None:
            record_id = str(self._next_id(entity))
        record = Record(entity=entity, id=record_id, body=body)
        self.records[entity][record_id] = record
        return record

    def changed(
        self, record: Record, operation: ChangeOperation, *, deleted_id: str | None = None
    ) -> None:
        change = Change(self.realm_id, record.entity, record.id, operation, deleted_id=deleted_id)
        for listener in self.listeners:
            listener(change)

    def next_id(self, sequence: str) -> str:
        """The next Id of a sequence that has no records of its own (addresses)."""
        return str(self._next_id(sequence))

    def _next_id(self, entity: str) -> int:
        # Per-entity sequences, continuing after any seeded Id, as in a real sandbox.
        current = self._sequences.get(entity)
        if current is None:
            numeric = [int(key) for key in self.records[entity] if key.isdigit()]
            current = max(numeric, default=0)
        self._sequences[entity] = current + 1
        return current + 1

    def invoice_paid(self, invoice_id: str) -> Decimal:
        return sum(self.applied.get(invoice_id, {}).values(), Decimal("0"))
