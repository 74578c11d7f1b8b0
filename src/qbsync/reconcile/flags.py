"""Mismatches found for one record (by a webhook, a sweep or a report): the record's open
mismatches become exactly what was found now; those no longer found are resolved."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.reconcile import repository
from qbsync.reconcile.compare import Difference
from qbsync.reconcile.models import Mismatch, MismatchKind, Repair
from qbsync.sync.context import SyncContext
from qbsync.sync.models import Mapping

SOURCE = "WEBHOOK"


@dataclass(frozen=True)
class RecordRef:
    organization_id: int
    realm_id: str
    entity_type: str
    aforo_id: str | None
    quickbooks_id: str | None

    @property
    def key(self) -> str:
        return self.aforo_id or f"qbo:{self.quickbooks_id}"


async def record_findings(
    session: AsyncSession, record: RecordRef, differences: list[Difference], *, source: str
) -> None:
    for difference in differences:
        await repository.upsert_mismatch(
            session,
            Mismatch(
                organization_id=record.organization_id,
                realm_id=record.realm_id,
                entity_type=record.entity_type,
                record_key=record.key,
                aforo_id=record.aforo_id,
                quickbooks_id=record.quickbooks_id,
                kind=difference.kind,
                aforo_value=difference.aforo_value,
                quickbooks_value=difference.quickbooks_value,
                suggested_repair=difference.repair,
                source=source,
            ),
        )
    await repository.resolve_mismatches(
        session,
        organization_id=record.organization_id,
        entity_type=record.entity_type,
        record_key=record.key,
        keep_kinds=[d.kind for d in differences],
    )


async def flag(
    ctx: SyncContext, mapping: Mapping, differences: list[Difference], *, source: str = SOURCE
) -> None:
    record = RecordRef(
        ctx.organization_id,
        ctx.realm_id,
        mapping.entity_type,
        mapping.aforo_id,
        mapping.quickbooks_id,
    )
    await record_findings(ctx.session, record, differences, source=source)


def unknown(description: str | None) -> Difference:
    return Difference(MismatchKind.UNKNOWN_TO_AFORO, None, description, Repair.IGNORE)


async def unknown_to_aforo(
    ctx: SyncContext, entity_type: str, qbo_id: str, operation: object, *, source: str = SOURCE
) -> str:
    """A QuickBooks record no Aforo record maps to: reported, without a read; resolved
    when it is deleted in QuickBooks."""
    record = RecordRef(ctx.organization_id, ctx.realm_id, entity_type, None, qbo_id)
    gone = operation == "Delete"
    await record_findings(ctx.session, record, [] if gone else [unknown(qbo_id)], source=source)
    if gone:
        return f"QuickBooks {entity_type.lower()} {qbo_id}, unknown to Aforo, was deleted"
    return f"QuickBooks {entity_type.lower()} {qbo_id} is unknown to Aforo; reported as drift"
