"""/api/quickbooks/admin syncs: one customer now, or every unsynced active customer
(``qbsync.sync.bulk``), answered as the original service answered."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from qbsync.api.auth import PrincipalDep, TenantDep
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.api.errors import ERRORS
from qbsync.api.views import CamelModel, exact_json
from qbsync.connections.errors import NeedsReauth, NotConnected
from qbsync.errors import InvalidInput
from qbsync.sync import bulk
from qbsync.sync.mappers.customers import CUSTOMER_IDS

router = APIRouter(prefix="/api/quickbooks/admin", tags=["admin"])

CONNECT_ACTION = "Please connect QuickBooks first using GET /api/quickbooks/connect"


class NotConnectedAnswer(CamelModel):
    success: bool = False
    message: str
    action: str = CONNECT_ACTION
    error: str


def _not_connected(organization_id: int, error: NotConnected | NeedsReauth) -> Response:
    """The original's 400 for an organization that cannot sync (the UI resets on it)."""
    message = f"QuickBooks not connected for organization {organization_id}: {error.message}"
    return exact_json(NotConnectedAnswer(message=message, error=error.code), status_code=400)


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


@router.post("/sync-customer/{customer_id}", response_model=SyncCustomerAnswer, responses=ERRORS)
async def sync_one_customer(
    customer_id: str,
    organization_id: TenantDep,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> Response:
    number = int(CUSTOMER_IDS.parse(customer_id, label="customer id"))
    try:
        synced = await bulk.sync_one_customer(
            session,
            resources.sync_deps,
            organization_id=organization_id,
            customer_id=number,
            caller_token=principal.token,
        )
    except (NotConnected, NeedsReauth) as error:
        return _not_connected(organization_id, error)
    result = synced.result
    answer = SyncCustomerAnswer(
        success=result.ok,
        customer_id=number,
        aforo_id=result.aforo_id,
        customer_name=synced.customer_name,
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


@router.post("/bulk-sync-customers", response_model=BulkSyncAnswer, responses=ERRORS)
async def bulk_sync_customers(
    organization_id: TenantDep, principal: PrincipalDep, resources: ResourcesDep
) -> Response:
    """Sync every ACTIVE customer that has no mapping yet; mapped ones are not re-sent."""
    try:
        outcome = await bulk.sync_unsynced_customers(
            resources.sessionmaker,
            resources.sync_deps,
            organization_id=organization_id,
            caller_token=principal.token,
        )
    except (NotConnected, NeedsReauth) as error:
        return _not_connected(organization_id, error)
    return exact_json(
        BulkSyncAnswer(
            organization_id=organization_id,
            total_active_customers=outcome.total_active,
            already_synced=outcome.total_active - outcome.attempted,
            attempted_to_sync=outcome.attempted,
            success_count=outcome.succeeded,
            failure_count=outcome.failed,
            sync_results=[
                BulkSyncItem(
                    customer_id=item.customer_id,
                    aforo_id=item.aforo_id,
                    customer_name=item.customer_name,
                    quick_books_id=item.quickbooks_id,
                    status=item.status,
                    error=item.error,
                )
                for item in outcome.items
            ],
            # The UI waits for the lowercase word "completed", even when nothing was to do.
            message=(
                f"Bulk sync completed: {outcome.succeeded} succeeded, {outcome.failed} failed "
                f"out of {outcome.attempted} customers"
            ),
        )
    )
