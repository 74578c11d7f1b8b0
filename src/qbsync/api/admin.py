"""/api/quickbooks/admin overviews: what is (and is not) synced yet."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.aforo.orgs import AforoCustomer
from qbsync.api.auth import Principal, PrincipalDep, TenantDep
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.api.views import CamelModel, exact_json
from qbsync.resources import Resources
from qbsync.sync import reports
from qbsync.sync.mappers.customers import CUSTOMER_IDS
from qbsync.sync.mappers.invoices import INVOICE_IDS
from qbsync.sync.models import EntityType

router = APIRouter(prefix="/api/quickbooks/admin", tags=["admin"])


def _percentage(part: int, whole: int) -> Decimal:
    if whole == 0:
        return Decimal(0)
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"))


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
    mapped = await reports.mapped_ids(session, organization_id, EntityType.CUSTOMER)
    unsynced = [
        UnsyncedCustomer(
            customer_id=customer.customer_id,
            aforo_id=CUSTOMER_IDS.format(customer.customer_id),
            customer_name=customer.customer_name,
            company_name=customer.company_name,
            email=customer.primary_email,
            phone=customer.phone_number,
        )
        for customer in active
        if CUSTOMER_IDS.format(customer.customer_id) not in mapped
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
    mapped = await reports.mapped_ids(session, organization_id, EntityType.INVOICE)
    unsynced = [
        UnsyncedInvoice(
            invoice_id=invoice.id,
            aforo_id=INVOICE_IDS.format(invoice.id),
            invoice_number=invoice.invoice_number,
            customer_id=invoice.customer_id,
            total_amount=invoice.total_amount,
            status=str(invoice.status),
        )
        for invoice in invoices
        if INVOICE_IDS.format(invoice.id) not in mapped
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
