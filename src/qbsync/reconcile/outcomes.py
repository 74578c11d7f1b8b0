"""What handling one QuickBooks change ends with, and the outcomes every entity shares: a
record gone from QuickBooks, an invoice's state as last read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.reconcile import repository
from qbsync.reconcile.compare import Difference, is_voided
from qbsync.reconcile.flags import flag
from qbsync.reconcile.models import MismatchKind, RemoteStatus, Repair
from qbsync.scheduler.execution import Attempt
from qbsync.sync.context import SyncContext
from qbsync.sync.models import EntityType, Mapping, SyncAction, SyncStatus
from qbsync.sync.results import SyncResult, Written


@dataclass(frozen=True)
class Outcome:
    written: Written
    # Write Aforo's version again after this attempt (re-create a deleted record, re-push).
    resync: bool = False


Handler = Callable[[SyncContext, Mapping, dict[str, Any]], Awaitable[Outcome]]


def skipped(attempt: Attempt, message: str) -> SyncResult:
    work = attempt.work
    return SyncResult(work.kind, work.aforo_id, SyncStatus.SKIPPED, SyncAction.SKIP, None, message)


async def save_invoice(ctx: SyncContext, invoice: Invoice) -> None:
    assert invoice.id is not None
    await repository.save_remote(
        ctx.session,
        realm_id=ctx.realm_id,
        entity_type=EntityType.INVOICE,
        quickbooks_id=invoice.id,
        status=RemoteStatus.VOIDED if is_voided(invoice) else RemoteStatus.ACTIVE,
        sync_token=invoice.sync_token,
        total=invoice.total_amt,
        balance=invoice.balance,
        last_updated_at=invoice.meta_data.last_updated_time if invoice.meta_data else None,
    )


async def gone(ctx: SyncContext, mapping: Mapping) -> Outcome:
    await repository.save_remote(
        ctx.session,
        realm_id=ctx.realm_id,
        entity_type=mapping.entity_type,
        quickbooks_id=mapping.quickbooks_id,
        status=RemoteStatus.DELETED,
    )
    what = f"QuickBooks {mapping.entity_type.lower()} {mapping.quickbooks_id}"
    if ctx.settings.on_deleted_in_quickbooks == "recreate" and mapping.entity_type != "CUSTOMER":
        return Outcome(
            Written(
                SyncAction.NONE,
                mapping.quickbooks_id,
                f"{what} was deleted in QuickBooks; qbsync creates it again (policy: recreate)",
            ),
            resync=True,
        )
    await flag(
        ctx,
        mapping,
        [Difference(MismatchKind.MISSING_IN_QUICKBOOKS, mapping.aforo_id, None, Repair.RECREATE)],
    )
    return Outcome(
        Written(
            SyncAction.NONE,
            mapping.quickbooks_id,
            f"{what} was deleted in QuickBooks; flagged as drift (policy: flag)",
        )
    )
