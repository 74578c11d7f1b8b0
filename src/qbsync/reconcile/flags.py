"""Mismatches found while handling one record (a webhook, a sweep): the record's open
mismatches become exactly what was found now, those no longer found are resolved."""

from __future__ import annotations

from qbsync.reconcile import repository
from qbsync.reconcile.compare import Difference
from qbsync.reconcile.models import Mismatch, MismatchKind, Repair
from qbsync.sync.context import SyncContext
from qbsync.sync.models import Mapping

SOURCE = "WEBHOOK"


async def flag(
    ctx: SyncContext, mapping: Mapping, differences: list[Difference], *, source: str = SOURCE
) -> None:
    for difference in differences:
        await repository.upsert_mismatch(
            ctx.session,
            Mismatch(
                organization_id=ctx.organization_id,
                realm_id=ctx.realm_id,
                entity_type=mapping.entity_type,
                record_key=mapping.aforo_id,
                aforo_id=mapping.aforo_id,
                quickbooks_id=mapping.quickbooks_id,
                kind=difference.kind,
                aforo_value=difference.aforo_value,
                quickbooks_value=difference.quickbooks_value,
                suggested_repair=difference.repair,
                source=source,
            ),
        )
    await repository.resolve_mismatches(
        ctx.session,
        organization_id=ctx.organization_id,
        entity_type=mapping.entity_type,
        record_key=mapping.aforo_id,
        keep_kinds=[d.kind for d in differences],
    )


async def unknown_to_aforo(
    ctx: SyncContext, entity_type: str, qbo_id: str, operation: object, *, source: str = SOURCE
) -> str:
    """A QuickBooks record no Aforo record maps to: reported, without a read; resolved
    when it is deleted in QuickBooks."""
    key = f"qbo:{qbo_id}"
    if operation == "Delete":
        await repository.resolve_mismatches(
            ctx.session,
            organization_id=ctx.organization_id,
            entity_type=entity_type,
            record_key=key,
        )
        return f"QuickBooks {entity_type.lower()} {qbo_id}, unknown to Aforo, was deleted"
    await repository.upsert_mismatch(
        ctx.session,
        Mismatch(
            organization_id=ctx.organization_id,
            realm_id=ctx.realm_id,
            entity_type=entity_type,
            record_key=key,
            aforo_id=None,
            quickbooks_id=qbo_id,
            kind=MismatchKind.UNKNOWN_TO_AFORO,
            aforo_value=None,
            quickbooks_value=qbo_id,
            suggested_repair=Repair.IGNORE,
            source=source,
        ),
    )
    return f"QuickBooks {entity_type.lower()} {qbo_id} is unknown to Aforo; reported as drift"
