"""Bulk sync: every ACTIVE Aforo customer with no mapping yet, each in a committed unit of
work of its own (one failure never undoes the others), a few at a time."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.aforo.orgs import AforoCustomer
from qbsync.connections import repository as connections
from qbsync.connections.tokens import ensure_usable
from qbsync.errors import QbsyncError
from qbsync.sync import reports
from qbsync.sync.context import SyncDeps
from qbsync.sync.engine import SyncOptions, sync
from qbsync.sync.mappers.customers import CUSTOMER_IDS
from qbsync.sync.models import EntityType, SyncTrigger
from qbsync.sync.results import SyncResult

log = logging.getLogger(__name__)

# Syncs in flight per bulk request; the per-realm limiter in the QBO client still applies.
BULK_CONCURRENCY = 4


@dataclass(frozen=True)
class BulkItem:
    customer_id: int
    aforo_id: str
    customer_name: str | None
    status: str = "FAILED"
    quickbooks_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class BulkOutcome:
    total_active: int
    items: list[BulkItem]

    @property
    def attempted(self) -> int:
        return len(self.items)

    @property
    def succeeded(self) -> int:
        return sum(1 for item in self.items if item.status == "SUCCESS")

    @property
    def failed(self) -> int:
        return self.attempted - self.succeeded


async def check_connected(session: AsyncSession, organization_id: int) -> None:
    """``NotConnected`` or ``NeedsReauth`` when the organization cannot sync now."""
    ensure_usable(organization_id, await connections.get_connection(session, organization_id))


async def _sync_in_own_unit(
    sessionmaker: async_sessionmaker[AsyncSession],
    deps: SyncDeps,
    customer: AforoCustomer,
    *,
    organization_id: int,
    options: SyncOptions,
    gate: asyncio.Semaphore,
) -> BulkItem:
    item = BulkItem(
        customer_id=customer.customer_id,
        aforo_id=CUSTOMER_IDS.format(customer.customer_id),
        customer_name=customer.customer_name,
    )
    async with gate:
        try:
            async with sessionmaker.begin() as session:
                result = await sync(
                    session,
                    deps,
                    organization_id=organization_id,
                    kind=EntityType.CUSTOMER,
                    aforo_id=customer.customer_id,
                    options=options,
                )
        except QbsyncError as error:
            return replace(item, error=error.message)
        except Exception as error:  # one customer's crash must not abandon the others mid-run
            log.exception(
                "bulk sync of one customer failed", extra={"customer_id": customer.customer_id}
            )
            return replace(item, error=f"unexpected error: {type(error).__name__}")
    if not result.ok:
        return replace(item, error=result.message)
    return replace(item, status="SUCCESS", quickbooks_id=result.quickbooks_id)


async def sync_unsynced_customers(
    sessionmaker: async_sessionmaker[AsyncSession],
    deps: SyncDeps,
    *,
    organization_id: int,
    caller_token: str,
) -> BulkOutcome:
    """Mapped customers are not re-sent. No session is held across the run: its
    transaction would sit idle for all of it. Raises as ``check_connected`` does."""
    async with sessionmaker() as session:
        await check_connected(session, organization_id)
        mapped = await reports.mapped_ids(session, organization_id, EntityType.CUSTOMER)
    active = await deps.aforo.orgs.list_active_customers(
        org_id=organization_id, caller_token=caller_token
    )
    pending = [c for c in active if CUSTOMER_IDS.format(c.customer_id) not in mapped]
    options = SyncOptions(
        trigger=SyncTrigger.MANUAL,
        caller_token=caller_token,
        correlation_id=f"bulk-{uuid.uuid4().hex}",
    )
    gate = asyncio.Semaphore(BULK_CONCURRENCY)
    items = await asyncio.gather(
        *(
            _sync_in_own_unit(
                sessionmaker,
                deps,
                customer,
                organization_id=organization_id,
                options=options,
                gate=gate,
            )
            for customer in pending
        )
    )
    return BulkOutcome(total_active=len(active), items=list(items))


@dataclass(frozen=True)
class CustomerSynced:
    customer_name: str | None
    result: SyncResult


async def sync_one_customer(
    session: AsyncSession,
    deps: SyncDeps,
    *,
    organization_id: int,
    customer_id: int,
    caller_token: str,
) -> CustomerSynced:
    """The admin screen's single sync: its answer carries the customer's name, so the
    customer is read first (the engine reads it again, fresh). Raises as
    ``check_connected`` does; a failed sync is in the result, logged."""
    await check_connected(session, organization_id)
    customer = await deps.aforo.orgs.get_customer(
        customer_id, org_id=organization_id, caller_token=caller_token
    )
    result = await sync(
        session,
        deps,
        organization_id=organization_id,
        kind=EntityType.CUSTOMER,
        aforo_id=customer_id,
        options=SyncOptions(trigger=SyncTrigger.MANUAL, caller_token=caller_token),
    )
    return CustomerSynced(customer.customer_name, result)
