"""Which entities qbsync syncs: one registered ``Kind`` per entity, looked up by the name the
sync log writes (``INVOICE``) or its lower-case form (``invoice``).

A kind says everything the rest of the service needs to know about its entity: how its
Aforo id is written (``CUST-5``), which QuickBooks entity it becomes, how to read its Aforo
record, how to sync it, what it needs synced first, the event that triggers it and its
compatibility route. The engine, the event handlers and work queues, the manual routes,
diagnose, backfill and the compatibility reads are all driven by this table, so a new
entity is one registration (``sync/kinds.py``) plus its own module.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from qbsync.errors import InvalidInput
from qbsync.ids import AforoKey, IdCodec
from qbsync.quickbooks.schemas.base import QboEntity
from qbsync.sync.context import AforoClients, SyncContext
from qbsync.sync.results import SyncResult

# What a trigger already knows of the record (an event's payment facts), as JSON.
Details = Mapping[str, Any]


@dataclass(frozen=True)
class CompatRoute:
    """A kind's manual sync route as the original service had it: ``POST /sync/<path>``
    with ``?<id_param>=…`` (or ``aforo…Id``, or the body), answering ``<answer_id>`` and
    ``<answer_qbo_id>``. Real clients depend on these names (real-clients.md §4)."""

    path: str
    id_param: str
    answer_id: str
    answer_qbo_id: str

    @classmethod
    def named(cls, quickbooks_name: str) -> CompatRoute:
        """The original's spelling for an entity: ``Customer`` -> ``/sync/customer``,
        ``customerId``, ``aforoCustomerId``, ``quickbooksCustomerId``."""
        camel = quickbooks_name[0].lower() + quickbooks_name[1:]
        return cls(
            path=quickbooks_name.lower(),
            id_param=f"{camel}Id",
            answer_id=f"aforo{quickbooks_name}Id",
            answer_qbo_id=f"quickbooks{quickbooks_name}Id",
        )

    @property
    def snake_param(self) -> str:
        """``customerId`` -> ``customer_id`` (the body also takes the snake-case spelling)."""
        return "".join(f"_{c.lower()}" if c.isupper() else c for c in self.id_param)


# kind.sync(ctx, key, details): one logged attempt of one record, in the caller's unit of work.
SyncFn = Callable[[SyncContext, Any, Details | None], Awaitable[SyncResult]]
# kind.read(aforo, organization_id, key, caller_token): the record's facts, for diagnose.
ReadFn = Callable[[AforoClients, int, Any, str | None], Awaitable[dict[str, Any]]]
# kind.details(event): what the event already tells about its record (None: nothing useful).
DetailsFn = Callable[[Any], Details | None]


@dataclass(frozen=True)
class Kind:
    entity_type: str  # as the sync log and mappings write it: "INVOICE"
    codec: IdCodec
    quickbooks_model: type[QboEntity]
    sync: SyncFn
    read: ReadFn | None = None
    # Kinds whose records this one's sync makes sure of first (their ``ensure``).
    depends_on: tuple[str, ...] = ()
    # The Aforo event that triggers it (``None``: synced only as another kind's dependency).
    event: type[Any] | None = None
    # Further events of the same record's life (an invoice updated or voided after its
    # creation): each gets its own work queue and runs this kind's sync too.
    also_on: tuple[type[Any], ...] = ()
    event_details: DetailsFn | None = None
    route: CompatRoute | None = None
    # Why it cannot be synced on its own: manual routes and retries refuse it with this.
    not_alone: str | None = None

    @property
    def name(self) -> str:
        return self.entity_type.lower()

    @property
    def routing_key(self) -> str | None:
        return self.event.routing_key if self.event is not None else None

    @property
    def events(self) -> tuple[type[Any], ...]:
        return ((self.event,) if self.event is not None else ()) + self.also_on

    @property
    def routing_keys(self) -> tuple[str, ...]:
        return tuple(event.routing_key for event in self.events)

    def parse(self, raw: object) -> int | str:
        return self.codec.parse(raw, label=f"{self.name} id")

    def aforo_id(self, key: AforoKey) -> str:
        return self.codec.format(key)


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.entity_type in _KINDS:
        raise ValueError(f"kind {kind.entity_type} is registered twice")
    _KINDS[kind.entity_type] = kind
    return kind


def _loaded() -> dict[str, Kind]:
    # The registrations import the entity modules, which call back into the engine: loading
    # them on first use keeps this module importable from anywhere.
    if not _KINDS:
        importlib.import_module("qbsync.sync.kinds")
    return _KINDS


def kinds() -> tuple[Kind, ...]:
    """Every kind, in registration order (dependencies first)."""
    return tuple(_loaded().values())


def find(name: str) -> Kind | None:
    return _loaded().get(name.strip().upper())


def get(name: str | Kind) -> Kind:
    """The kind named ``invoice`` or ``INVOICE``; ``InvalidInput`` for any other name."""
    if isinstance(name, Kind):
        return name
    kind = find(name)
    if kind is None:
        raise InvalidInput(f"unknown entity type {name[:40]!r}")
    return kind


def synced_alone(name: str | Kind) -> Kind:
    """The kind, if a record of it can be synced on its own (by a route, a retry, a job)."""
    kind = get(name)
    if kind.not_alone is not None:
        raise InvalidInput(kind.not_alone)
    return kind


def parse_aforo_id(entity_type: str | Kind, aforo_id: object) -> tuple[Kind, int | str]:
    """``("INVOICE", "invoice-42")``, ``("invoice", "42")`` or ``("invoice", 42)`` ->
    ``(INVOICE, 42)``, for a kind that is synced on its own."""
    kind = synced_alone(entity_type)
    return kind, kind.parse(aforo_id)


def by_event(event_type: type[Any]) -> Kind:
    for kind in kinds():
        if event_type in kind.events:
            return kind
    raise InvalidInput(f"no kind is triggered by {event_type.__name__}")


def log_aforo_id(entity_type: str | None, entity_id: str | None, *, fallback: str) -> str:
    """The sync log's id for an entity an event names (``CUSTOMER``, ``5`` -> ``CUST-5``)."""
    kind = find(entity_type) if entity_type else None
    if kind is not None and kind.events and entity_id:
        return kind.aforo_id(entity_id)
    return fallback
