"""/api/quickbooks/admin: what is (not) synced yet, and syncing customers one by one or in bulk."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.aforo.orgs import AforoCustomer
from qbsync.api.auth import Principal, PrincipalDep, TenantDep
from qbsync.api.compat import CamelModel, current_realm, exact_json, parse_customer_id
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.connections import repository as connections
from qbsync.connections.errors import NeedsReauth, NotConnected
from qbsync.connections.tokens import ensure_usable
from qbsync.errors import InvalidInput, QbsyncError
from qbsync.resources import Resources
from qbsync.sync import reports
from qbsync.sync.engine import SyncOptions, sync_customer
from qbsync.sync.mappers.customers import customer_aforo_id
from qbsync.sync.mappers.invoices import invoice_aforo_id
from qbsync.sync.models import EntityType, SyncTrigger

router = APIRouter(prefix="/api/quickbooks/admin", tags=["admin"])

# Syncs in flight per bulk request; the per-realm limiter in the QBO client still applies.
BULK_CONCURRENCY = 4
CONNECT_ACTION = "Please connect QuickBooks first using GET /api/quickbooks/connect"


def _percentage(part: int, whole: int) -> Decimal:
    if whole == 0:
        return Decimal(0)
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"))


async def _mapped(session: AsyncSession, organization_id: int, entity_type: str) -> set[str]:
    realm_id = await current_realm(session, organization_id)
    if realm_id is None:
        return set()
    return await reports.mapped_aforo_ids(
        session, organization_id=organization_id, realm_id=realm_id, entity_type=entity_type
    )


class UnsyncedCustomer(CamelModel):
    customer_id: int
    aforo_id: str
    customer_name: str | None
    company_name: str | None
    email: str | None
    phone: str | None


async def _active_and_unsynced(
    session: AsyncSession, resources: Resources, principal: Principal, organization_id: int
) -> tuple[list[AforoCustomer], list[UnsyncedCustomer]]:
    """The org service's ACTIVE customers (asked with the caller's own token), and which of
    them have no mapping yet."""
    active = await resources.aforo.orgs.list_active_customers(
        org_id=organization_id, caller_token=principal.token
    )
    mapped = await _mapped(session, organization_id, EntityType.CUSTOMER)
    unsynced = [
        UnsyncedCustomer(
            customer_id=customer.customer_id,
            aforo_id=customer_aforo_id(customer.customer_id),
            customer_name=customer.customer_name,
            company_name=customer.company_name,
            email=customer.primary_email,
            phone=customer.phone_number,
        )
        for customer in active
        if customer_aforo_id(customer.customer_id) not in mapped
    ]
    return active, unsynced


class CustomerOverview(CamelModel):
    organization_id: int
    total_active_customers: int
    # Active customers with a mapping; with notSynced, they add up to the total.
    synced_to_quick_books: int
    not_synced_to_quick_books: int
    unsynced_customers: list[UnsyncedCustomer]
    sync_percentage: Decimal


@router.get("/customer-overview", response_model=CustomerOverview)
async def customer_overview(
    organization_id: TenantDep,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> Response:
    active, unsynced = await _active_and_unsynced(session, resources, principal, organization_id)
    synced = len(active) - len(unsynced)
    return exact_json(
        CustomerOverview(
            organization_id=organization_id,
            total_active_customers=len(active),
            synced_to_quick_books=synced,
            not_synced_to_quick_books=len(unsynced),
            unsynced_customers=unsynced,
            sync_percentage=_percentage(synced, len(active)),
        )
    )


class UnsyncedCustomers(CamelModel):
    organization_id: int
    total: int
    customers: list[UnsyncedCustomer]
    message: str


@router.get("/unsynced-customers", response_model=UnsyncedCustomers)
async def unsynced_customers(
    organization_id: TenantDep,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> Response:
    _, unsynced = await _active_and_unsynced(session, resources, principal, organization_id)
    return exact_json(
        UnsyncedCustomers(
            organization_id=organization_id,
            total=len(unsynced),
            customers=unsynced,
            message=f"{len(unsynced)} customers are ACTIVE but not synced to QuickBooks",
        )
    )


class UnsyncedInvoice(CamelModel):
    invoice_id: int
    aforo_id: str
    invoice_number: str
    customer_id: int
    total_amount: Decimal
    status: str


class InvoiceOverview(CamelModel):
    organization_id: int
    total_invoices: int
    synced_to_quick_books: int
    not_synced_to_quick_books: int
    unsynced_invoices: list[UnsyncedInvoice]
    sync_percentage: Decimal


@router.get("/invoice-overview", response_model=InvoiceOverview)
async def invoice_overview(
    organization_id: TenantDep,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> Response:
    invoices = await resources.aforo.billing.list_invoices(
        org_id=organization_id, caller_token=principal.token
    )
    mapped = await _mapped(session, organization_id, EntityType.INVOICE)
    unsynced = [
        UnsyncedInvoice(
            invoice_id=invoice.id,
            aforo_id=invoice_aforo_id(invoice.id),
            invoice_number=invoice.invoice_number,
            customer_id=invoice.customer_id,
            total_amount=invoice.total_amount,
            status=str(invoice.status),
        )
        for invoice in invoices
        if invoice_aforo_id(invoice.id) not in mapped
    ]
    synced = len(invoices) - len(unsynced)
    return exact_json(
        InvoiceOverview(
            organization_id=organization_id,
            total_invoices=len(invoices),
            synced_to_quick_books=synced,
            not_synced_to_quick_books=len(unsynced),
            unsynced_invoices=unsynced,
            sync_percentage=_percentage(synced, len(invoices)),
        )
    )


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
    result = await sync_customer(
        session,
        resources.sync_deps,
        organization_id=organization_id,
        customer_id=number,
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
        aforo_id=customer_aforo_id(customer.customer_id),
        customer_name=customer.customer_name,
        status="FAILED",
    )
    async with gate:
        try:
            # One committed unit of work per customer: one failure never undoes the others.
            async with resources.sessionmaker.begin() as session:
                result = await sync_customer(
                    session,
                    resources.sync_deps,
                    organization_id=organization_id,
                    customer_id=customer.customer_id,
                    options=options,
                )
        except QbsyncError as error:
            return item.model_copy(update={"error": error.message})
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
        mapped = await _mapped(session, organization_id, EntityType.CUSTOMER)
    active = await resources.aforo.orgs.list_active_customers(
        org_id=organization_id, caller_token=principal.token
    )
    pending = [c for c in active if customer_aforo_id(c.customer_id) not in mapped]
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
