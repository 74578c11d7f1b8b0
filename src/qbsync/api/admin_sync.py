"""/api/quickbooks/admin syncs: one customer now, or every unsynced active customer."""

from __future__ import annotations

import asyncio
import logging
import uuid

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.aforo.orgs import AforoCustomer
from qbsync.api.admin import mapped_ids
from qbsync.api.auth import PrincipalDep, TenantDep
from qbsync.api.compat import CamelModel, exact_json, parse_customer_id
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.connections import repository as connections
from qbsync.connections.errors import NeedsReauth, NotConnected
from qbsync.connections.tokens import ensure_usable
from qbsync.errors import InvalidInput, QbsyncError
from qbsync.resources import Resources
from qbsync.sync.engine import SyncOptions, sync
from qbsync.sync.mappers.customers import CUSTOMER_IDS
from qbsync.sync.models import EntityType, SyncTrigger

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/quickbooks/admin", tags=["admin"])

# Syncs in flight per bulk request; the per-realm limiter in the QBO client still applies.
BULK_CONCURRENCY = 4
CONNECT_ACTION = "Please connect QuickBooks first using GET /api/quickbooks/connect"


class NotConnectedAnswer(CamelModel):
    success: bool = False
    message: str
    action: str = CONNECT_ACTION
    error: str


async def _not_connected(session: AsyncSession, organization_id: int) -> Response | None:
    """The original's 400 for an organization that cannot sync (the UI resets on it)."""
    try:
        ensure_usable(organization_id, await connections.get_connection(session, organization_id))
    except (NotConnected, NeedsReauth) as error:
        message = f"QuickBooks not connected for organization {organization_id}: {error.message}"
        return exact_json(NotConnectedAnswer(message=message, error=error.code), status_code=400)
    return None


class SyncCustomerAnswer(CamelModel):
    success: bool
    customer_id: int
    aforo_id: str
    customer_name: str | None
    quick_books_id: str | None
    action: str
    message: str
    error: str | None = None
    sync_log_id: int | None = None


@router.post("/sync-customer/{customer_id}", response_model=SyncCustomerAnswer)
async def sync_one_customer(
    customer_id: str,
    organization_id: TenantDep,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> Response:
    number = parse_customer_id(customer_id)
    refused = await _not_connected(session, organization_id)
    if refused is not None:
        return refused
    # Read first for the name the answer carries (the engine reads it again, fresh).
    customer = await resources.aforo.orgs.get_customer(
        number, org_id=organization_id, caller_token=principal.token
    )
    result = await sync(
        session,
        resources.sync_deps,
        organization_id=organization_id,
        kind=EntityType.CUSTOMER,
        aforo_id=number,
        options=SyncOptions(trigger=SyncTrigger.MANUAL, caller_token=principal.token),
    )
    answer = SyncCustomerAnswer(
        success=result.ok,
        customer_id=number,
        aforo_id=result.aforo_id,
        customer_name=customer.customer_name,
        quick_books_id=result.quickbooks_id,
        action=result.action,
        message=result.message,
        error=result.error.code if result.error else None,
        sync_log_id=result.log_id,
    )
    # Answered, not raised: the failed attempt's log row must commit with the request.
    if result.error is None:
        status = 200
    elif isinstance(result.error, InvalidInput | NotConnected | NeedsReauth):
        status = 400  # not ACTIVE, or the connection went away meanwhile (the original's 400)
    else:
        status = result.error.status_code
    return exact_json(answer, status_code=status)


class BulkSyncItem(CamelModel):
    customer_id: int
    aforo_id: str
    customer_name: str | None
    quick_books_id: str | None = None
    status: str
    error: str | None = None


class BulkSyncAnswer(CamelModel):
    organization_id: int
    total_active_customers: int
    already_synced: int
    attempted_to_sync: int
    success_count: int
    failure_count: int
    sync_results: list[BulkSyncItem]
    message: str


async def _sync_in_own_unit(
    resources: Resources,
    customer: AforoCustomer,
    *,
    organization_id: int,
    options: SyncOptions,
    gate: asyncio.Semaphore,
) -> BulkSyncItem:
    item = BulkSyncItem(
        customer_id=customer.customer_id,
        aforo_id=CUSTOMER_IDS.format(customer.customer_id),
        customer_name=customer.customer_name,
        status="FAILED",
    )
    async with gate:
        try:
            # One committed unit of work per customer: one failure never undoes the others.
            async with resources.sessionmaker.begin() as session:
                result = await sync(
                    session,
                    resources.sync_deps,
                    organization_id=organization_id,
                    kind=EntityType.CUSTOMER,
                    aforo_id=customer.customer_id,
                    options=options,
                )
        except QbsyncError as error:
            return item.model_copy(update={"error": error.message})
        except Exception as error:  # one customer's crash must not abandon the others mid-run
            log.exception(
                "bulk sync of one customer failed", extra={"customer_id": customer.customer_id}
            )
            return item.model_copy(update={"error": f"unexpected error: {type(error).__name__}"})
    if not result.ok:
        return item.model_copy(update={"error": result.message})
    return item.model_copy(update={"status": "SUCCESS", "quick_books_id": result.quickbooks_id})


@router.post("/bulk-sync-customers", response_model=BulkSyncAnswer)
async def bulk_sync_customers(
    organization_id: TenantDep, principal: PrincipalDep, resources: ResourcesDep
) -> Response:
    """Sync every ACTIVE customer that has no mapping yet; mapped ones are not re-sent.

    No request-wide session: its transaction would sit idle for the whole run."""
    async with resources.sessionmaker() as session:
        refused = await _not_connected(session, organization_id)
        if refused is not None:
            return refused
        mapped = await mapped_ids(session, organization_id, EntityType.CUSTOMER)
    active = await resources.aforo.orgs.list_active_customers(
        org_id=organization_id, caller_token=principal.token
    )
    pending = [c for c in active if CUSTOMER_IDS.format(c.customer_id) not in mapped]
    options = SyncOptions(
        trigger=SyncTrigger.MANUAL,
        caller_token=principal.token,
        correlation_id=f"bulk-{uuid.uuid4().hex}",
    )
    gate = asyncio.Semaphore(BULK_CONCURRENCY)
    results = await asyncio.gather(
        *(
            _sync_in_own_unit(
                resources, customer, organization_id=organization_id, options=options, gate=gate
            )
            for customer in pending
        )
    )
    succeeded = sum(1 for item in results if item.status == "SUCCESS")
    failed = len(results) - succeeded
    return exact_json(
        BulkSyncAnswer(
            organization_id=organization_id,
            total_active_customers=len(active),
            already_synced=len(active) - len(pending),
            attempted_to_sync=len(pending),
            success_count=succeeded,
            failure_count=failed,
            sync_results=list(results),
            # The UI waits for the lowercase word "completed", even when nothing was to do.
            message=(
                f"Bulk sync completed: {succeeded} succeeded, {failed} failed "
                f"out of {len(pending)} customers"
            ),
        )
    )
