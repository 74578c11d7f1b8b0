"""The organization's customers and invoices as Aforo listed them at the start of a backfill
run (a request per kind the run still writes, ``kinds_needed``): the pages' bulk look-ups,
and the record a unit of work creates.

A record nothing newer than the listing is known of (no mapping, no sync-log row since the
listing was asked for, looked at in one statement under the record's lock in the unit's own
transaction) is created from the listing instead of a read of its own: that read was a
third of a backfilled record's CPU. Any other record is read fresh as always: one mapped by
then (an event synced it meanwhile), so a listing older than a change is never written over
what that change's sync wrote; and one whose event was handled meanwhile without a write,
such as the void of an invoice never synced (skipped: nothing to void yet), which the
listing would otherwise create as issued with nothing left to void it. The listing only
ever creates, and a change after a record's attempt comes with its own event, whose sync
updates (or voids) what the attempt wrote.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.aforo.billing import AforoInvoice, BillingClient
from qbsync.aforo.orgs import AforoCustomer, OrgClient
from qbsync.backfill.models import BackfillJob
from qbsync.db.base import utcnow
from qbsync.resources import Resources
from qbsync.sync import repository
from qbsync.sync.context import SyncDeps
from qbsync.sync.mappers.customers import CUSTOMER_IDS
from qbsync.sync.mappers.invoices import INVOICE_IDS
from qbsync.sync.models import EntityType


@dataclass(frozen=True)
class _Unit:
    session: AsyncSession
    organization_id: int
    realm_id: str


T = TypeVar("T")

_UNIT: ContextVar[_Unit | None] = ContextVar("qbsync_backfill_unit", default=None)


@contextmanager
def unit_of_work(session: AsyncSession, organization_id: int, realm_id: str) -> Iterator[None]:
    """Reads inside the block may be answered from the listing, checked in ``session``."""
    token = _UNIT.set(_Unit(session, organization_id, realm_id))
    try:
        yield
    finally:
        _UNIT.reset(token)


async def _if_nothing_newer(
    listed: Listed, record: T | None, organization_id: int, entity_type: str, aforo_id: str
) -> T | None:
    """The listed record, when nothing newer is known of it (see the module's docstring)."""
    unit = _UNIT.get()
    if record is None or unit is None or unit.organization_id != organization_id:
        return None
    known = await repository.known_since(
        unit.session,
        organization_id=organization_id,
        realm_id=unit.realm_id,
        entity_type=entity_type,
        aforo_id=aforo_id,
        since=listed.read_at,
    )
    return None if known else record


BOTH = (EntityType.CUSTOMER, EntityType.INVOICE)


async def kinds_needed(
    session: AsyncSession, *, organization_id: int, realm_id: str, targets: Sequence[dict[str, Any]]
) -> set[str]:
    """The listings ``targets`` (what is left of a job) are written from: their own kinds,
    and the customers' too while an invoice's customer is not in QuickBooks yet (the invoice
    syncs it first, from the listing). A job of one kind, or one resumed past its customers,
    reads one listing."""
    kinds = {str(target["type"]) for target in targets}
    if EntityType.INVOICE not in kinds or EntityType.CUSTOMER in kinds:
        return kinds
    invoices = [target for target in targets if target["type"] == EntityType.INVOICE]
    if any(target.get("customerId") is None for target in invoices):
        return kinds | {EntityType.CUSTOMER}  # planned without its customer: cannot tell
    customers = {
        (EntityType.CUSTOMER, CUSTOMER_IDS.format(target["customerId"])) for target in invoices
    }
    mapped = await repository.get_mappings(
        session, organization_id=organization_id, realm_id=realm_id, records=list(customers)
    )
    if all(mapping is not None for mapping in mapped.values()):
        return kinds
    return kinds | {EntityType.CUSTOMER}


@dataclass
class Listed:
    customers: dict[str, AforoCustomer]
    invoices: dict[str, AforoInvoice]
    # When it was asked for: a change Aforo made after that may be missing from it.
    read_at: datetime

    @classmethod
    async def read(
        cls, deps: SyncDeps, organization_id: int, *, kinds: Collection[str] = BOTH
    ) -> Listed:
        """The organization's listings of ``kinds``; the others are left empty (a record of
        theirs is read on its own)."""
        read_at = utcnow()
        customers, invoices = [], []
        if EntityType.CUSTOMER in kinds:
            customers = await deps.aforo.orgs.list_active_customers(org_id=organization_id)
        if EntityType.INVOICE in kinds:
            invoices = await deps.aforo.billing.list_invoices(org_id=organization_id)
        return cls(
            {str(c.customer_id): c for c in customers},
            {str(i.id): i for i in invoices},
            read_at,
        )

    @classmethod
    async def for_job(cls, resources: Resources, job: BackfillJob, realm_id: str) -> Listed:
        """The listings what is left of ``job`` is written from (``kinds_needed``)."""
        async with resources.sessionmaker() as session:
            kinds = await kinds_needed(
                session,
                organization_id=job.organization_id,
                realm_id=realm_id,
                targets=job.targets[job.published :],
            )
        return await cls.read(resources.sync_deps, job.organization_id, kinds=kinds)

    def serving(self, deps: SyncDeps) -> SyncDeps:
        """``deps`` whose customer and invoice reads answer from the listing where they may."""
        aforo = replace(
            deps.aforo,
            orgs=_ListedOrgs(deps.aforo.orgs, self),
            billing=_ListedBilling(deps.aforo.billing, self),
        )
        return replace(deps, aforo=aforo)


class _ListedOrgs(OrgClient):
    def __init__(self, client: OrgClient, listed: Listed) -> None:
        self.__dict__.update(client.__dict__)  # the same connection and credentials
        self._listed = listed

    async def get_customer(
        self, customer_id: int, *, org_id: int, caller_token: str | None = None
    ) -> AforoCustomer:
        aforo_id = CUSTOMER_IDS.format(customer_id)
        listed = self._listed.customers.get(str(customer_id))
        return await _if_nothing_newer(
            self._listed, listed, org_id, EntityType.CUSTOMER, aforo_id
        ) or await super().get_customer(customer_id, org_id=org_id, caller_token=caller_token)


class _ListedBilling(BillingClient):
    def __init__(self, client: BillingClient, listed: Listed) -> None:
        self.__dict__.update(client.__dict__)
        self._listed = listed

    async def get_invoice(
        self, invoice_id: int, *, org_id: int, caller_token: str | None = None
    ) -> AforoInvoice:
        aforo_id = INVOICE_IDS.format(invoice_id)
        listed = self._listed.invoices.get(str(invoice_id))
        return await _if_nothing_newer(
            self._listed, listed, org_id, EntityType.INVOICE, aforo_id
        ) or await super().get_invoice(invoice_id, org_id=org_id, caller_token=caller_token)
