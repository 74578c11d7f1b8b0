"""The original service's read routes: sync stats, synced customers, sync status, dashboard
link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, RedirectResponse, Response

from qbsync.api.auth import TenantDep
from qbsync.api.deps import SessionDep
from qbsync.api.errors import ErrorBody, error_body
from qbsync.api.views import CamelModel, Instant, exact_json
from qbsync.connections import repository as connections
from qbsync.connections.models import ConnectionStatus, QuickBooksConnection
from qbsync.errors import InvalidInput
from qbsync.sync import reports, repository
from qbsync.sync.mappers.customers import CUSTOMER_IDS
from qbsync.sync.models import EntityType

router = APIRouter(prefix="/api/quickbooks", tags=["ui compatibility"])

# Intuit's company home pages (the original used sandbox.qbo.intuit.com, which is not the
# sandbox UI host).
DASHBOARD_URLS = {
    "sandbox": "https://app.sandbox.qbo.intuit.com/app/homepage?companyId={realm_id}",
    "production": "https://app.qbo.intuit.com/app/homepage?companyId={realm_id}",
}


def parse_customer_id(raw: str) -> int:
    """Customer ids arrive as ``5`` or as the mapping's ``CUST-5``."""
    try:
        return int(CUSTOMER_IDS.parse(raw, label="customer id"))
    except InvalidInput:
        raise InvalidInput(f"not a customer id: {raw[:40]!r}", hint="send 5 or CUST-5") from None


class SyncStats(CamelModel):
    organization_id: int
    total_synced_entities: int
    synced_customers: int
    synced_invoices: int
    synced_payments: int
    synced_customer_ids: list[str]
    message: str


@router.get("/sync-stats", response_model=SyncStats)
async def sync_stats(organization_id: TenantDep, session: SessionDep) -> Response:
    realm_id = await reports.current_realm(session, organization_id)
    counts: dict[str, int] = {}
    customer_ids: list[str] = []
    if realm_id is not None:
        counts = await reports.count_by_type(
            session, organization_id=organization_id, realm_id=realm_id
        )
        customers = await reports.list_mappings(
            session,
            organization_id=organization_id,
            realm_id=realm_id,
            entity_type=EntityType.CUSTOMER,
        )
        customer_ids = [mapping.aforo_id for mapping in customers]
    synced = {kind: counts.get(kind, 0) for kind in ("CUSTOMER", "INVOICE", "PAYMENT")}
    return exact_json(
        SyncStats(
            organization_id=organization_id,
            # Items (one per rate plan) are plumbing, not entities the user synced.
            total_synced_entities=sum(synced.values()),
            synced_customers=synced["CUSTOMER"],
            synced_invoices=synced["INVOICE"],
            synced_payments=synced["PAYMENT"],
            synced_customer_ids=customer_ids,
            message=f"{synced['CUSTOMER']} customer(s) actually synced to QuickBooks",
        )
    )


class SyncedCustomer(CamelModel):
    aforo_id: str
    quickbooks_id: str
    synced_at: Instant
    last_updated: Instant


class SyncedCustomers(CamelModel):
    customers: list[SyncedCustomer]
    total: int
    organization_id: int


@router.get("/synced-customers", response_model=SyncedCustomers)
async def synced_customers(organization_id: TenantDep, session: SessionDep) -> Response:
    realm_id = await reports.current_realm(session, organization_id)
    mappings = (
        await reports.list_mappings(
            session,
            organization_id=organization_id,
            realm_id=realm_id,
            entity_type=EntityType.CUSTOMER,
        )
        if realm_id is not None
        else []
    )
    customers = [
        SyncedCustomer(
            aforo_id=mapping.aforo_id,
            quickbooks_id=mapping.quickbooks_id,
            synced_at=mapping.created_at,
            last_updated=mapping.updated_at,
        )
        for mapping in mappings
    ]
    return exact_json(
        SyncedCustomers(customers=customers, total=len(customers), organization_id=organization_id)
    )


class CustomerSyncStatus(CamelModel):
    customer_id: str
    organization_id: int
    is_synced: bool
    quickbooks_id: str | None = None
    synced_at: Instant | None = None
    last_updated: Instant | None = None
    message: str


@router.get("/customer/{customer_id}/sync-status", response_model=CustomerSyncStatus)
async def customer_sync_status(
    customer_id: str, organization_id: TenantDep, session: SessionDep
) -> Response:
    aforo_id = CUSTOMER_IDS.format(parse_customer_id(customer_id))
    realm_id = await reports.current_realm(session, organization_id)
    mapping = (
        await repository.get_mapping(
            session,
            organization_id=organization_id,
            realm_id=realm_id,
            entity_type=EntityType.CUSTOMER,
            aforo_id=aforo_id,
        )
        if realm_id is not None
        else None
    )
    if mapping is None:
        status = CustomerSyncStatus(
            customer_id=customer_id,
            organization_id=organization_id,
            is_synced=False,
            message="Customer is NOT synced to QuickBooks",
        )
    else:
        status = CustomerSyncStatus(
            customer_id=customer_id,
            organization_id=organization_id,
            is_synced=True,
            quickbooks_id=mapping.quickbooks_id,
            synced_at=mapping.created_at,
            last_updated=mapping.updated_at,
            message="Customer is synced to QuickBooks",
        )
    # As the original: the QuickBooks fields are left out, not null, when not synced.
    return exact_json(status, exclude_none=True)


def _dashboard_url(connection: QuickBooksConnection) -> str:
    template = DASHBOARD_URLS.get(connection.environment, DASHBOARD_URLS["production"])
    return template.format(realm_id=connection.realm_id)


class DashboardLink(CamelModel):
    organization_id: int
    realm_id: str
    environment: str
    dashboard_url: str


@router.get(
    "/dashboard-redirect",
    response_model=DashboardLink,
    responses={
        302: {"description": "to the company's QuickBooks home page (200: with ?debug=true)"},
        412: {"model": ErrorBody},
    },
)
async def dashboard_redirect(
    organization_id: TenantDep,
    session: SessionDep,
    debug: Annotated[bool, Query()] = False,
) -> Response:
    connection = await connections.get_connection(session, organization_id)
    if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
        message = "QuickBooks not connected for this organization"
        # 412 with X-Error-Message is the original's contract; the JSON body is ours.
        return JSONResponse(
            error_body(
                "not_connected", message, hint="connect QuickBooks from the integrations page"
            ),
            status_code=412,
            headers={"X-Error-Message": message},
        )
    url = _dashboard_url(connection)
    if debug:
        return JSONResponse(
            {
                "organizationId": organization_id,
                "realmId": connection.realm_id,
                "environment": connection.environment,
                "dashboardUrl": url,
            }
        )
    return RedirectResponse(
        url,
        status_code=302,
        headers={"Cache-Control": "no-store", "X-QuickBooks-Realm-Id": connection.realm_id},
    )
