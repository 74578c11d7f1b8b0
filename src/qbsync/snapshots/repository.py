"""Named queries of the snapshot table, and the newest state of an invoice for people."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.db.base import table_of, utcnow
from qbsync.quickbooks import wire
from qbsync.quickbooks.schemas.base import QboEntity
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.quickbooks.schemas.payment import Payment
from qbsync.reconcile.models import RemoteRecord, RemoteStatus
from qbsync.snapshots.models import RecordSnapshot

ZERO = Decimal("0")
EntityT = TypeVar("EntityT", bound=QboEntity)
# The sync log's and the mappings' name for invoices.
INVOICE = "INVOICE"


def _build_upsert() -> Any:
    table = table_of(RecordSnapshot)
    new = insert(table).values(
        realm_id=bindparam("snapshot_realm_id"),
        entity_type=bindparam("snapshot_entity_type"),
        quickbooks_id=bindparam("snapshot_quickbooks_id"),
        body=bindparam("snapshot_body"),
        updated_at=bindparam("snapshot_updated_at"),
    )
    return new.on_conflict_do_update(
        index_elements=[table.c.realm_id, table.c.entity_type, table.c.quickbooks_id],
        set_={"body": new.excluded.body, "updated_at": new.excluded.updated_at},
    )


# Built once; its parameters are named apart from any column's, so that the mappings' upsert
# can carry it as a CTE (one statement for a write's mapping and snapshot).
UPSERT = _build_upsert()


def upsert_params(*, realm_id: str, entity_type: str, entity: QboEntity) -> dict[str, Any]:
    """``UPSERT``'s parameters: ``entity`` as QuickBooks holds it now (the answer to a write,
    or a read), everything QuickBooks answered, read-only fields too (MetaData, sparse).

    Written by pydantic's own serializer, amounts as exact decimal strings (a third of the
    CPU of a dump to dicts and the QBO encoder, which writes numbers as JSON numbers because
    QuickBooks needs them). ``load`` reads either form."""
    assert entity.id is not None
    return {
        "snapshot_realm_id": realm_id,
        "snapshot_entity_type": entity_type,
        "snapshot_quickbooks_id": entity.id,
        "snapshot_body": entity.model_dump_json(by_alias=True, exclude_none=True),
        "snapshot_updated_at": utcnow(),
    }


async def save(
    session: AsyncSession, *, realm_id: str, entity_type: str, entity: QboEntity
) -> None:
    """Keep ``entity`` as QuickBooks holds it now (the answer to a write, or a read)."""
    await session.execute(
        UPSERT, upsert_params(realm_id=realm_id, entity_type=entity_type, entity=entity)
    )


async def load(
    session: AsyncSession,
    *,
    realm_id: str,
    entity_type: str,
    quickbooks_id: str,
    model: type[EntityT],
) -> EntityT | None:
    """The record as QuickBooks last answered qbsync's write of it; None if none was kept."""
    body = await session.scalar(
        select(RecordSnapshot.body).where(
            RecordSnapshot.realm_id == realm_id,
            RecordSnapshot.entity_type == entity_type,
            RecordSnapshot.quickbooks_id == quickbooks_id,
        )
    )
    return None if body is None else model.model_validate(wire.loads(body.encode("utf-8")))


async def invoices(
    session: AsyncSession, *, realm_id: str, quickbooks_ids: Sequence[str]
) -> dict[str, Invoice | None]:
    """The invoices as last known: a snapshot, with the balance, total and status of any newer
    change QuickBooks reported (reconciliation). ``None``: deleted in QuickBooks. Ids with no
    snapshot are left out."""
    if not quickbooks_ids:
        return {}
    rows = await session.execute(
        select(RecordSnapshot, RemoteRecord)
        .outerjoin(
            RemoteRecord,
            (RemoteRecord.realm_id == RecordSnapshot.realm_id)
            & (RemoteRecord.entity_type == RecordSnapshot.entity_type)
            & (RemoteRecord.quickbooks_id == RecordSnapshot.quickbooks_id),
        )
        .where(
            RecordSnapshot.realm_id == realm_id,
            RecordSnapshot.entity_type == INVOICE,
            RecordSnapshot.quickbooks_id.in_(list(quickbooks_ids)),
        )
    )
    found: dict[str, Invoice | None] = {}
    for snapshot, remote in rows:
        invoice = Invoice.model_validate(wire.loads(snapshot.body.encode("utf-8")))
        found[snapshot.quickbooks_id] = _with_news(invoice, snapshot.updated_at, remote)
    return found


def _with_news(invoice: Invoice, known_at: datetime, remote: RemoteRecord | None) -> Invoice | None:
    if remote is None or remote.updated_at <= known_at:
        return invoice
    if remote.status == RemoteStatus.DELETED:
        return None
    update: dict[str, object] = {}
    if remote.status == RemoteStatus.VOIDED:
        update = {"balance": ZERO, "total_amt": ZERO}
    else:
        if remote.balance is not None:
            update["balance"] = remote.balance
        if remote.total is not None:
            update["total_amt"] = remote.total
    return invoice.model_copy(update=update)


async def shift_balance(
    session: AsyncSession, *, realm_id: str, invoice_id: str, by: Decimal
) -> None:
    """qbsync changed what is applied to the invoice (a credit applied, a payment voided or
    removed): its open balance moved by ``by``. Kept within 0 and the invoice's total, so
    that the next payment applies against what QuickBooks holds without reading it."""
    current = (await invoices(session, realm_id=realm_id, quickbooks_ids=[invoice_id])).get(
        invoice_id
    )
    if current is None or current.balance is None:
        return
    balance = max(current.balance + by, ZERO)
    if current.total_amt is not None:
        balance = min(balance, current.total_amt)
    await save(
        session,
        realm_id=realm_id,
        entity_type=INVOICE,
        entity=current.model_copy(update={"balance": balance}),
    )


async def payment_removed(session: AsyncSession, *, realm_id: str, payment: Payment) -> None:
    """``payment`` (as it was) no longer applies: its invoices are open by that much again."""
    for line in payment.line or []:
        for link in line.linked_txn or []:
            if link.txn_type == "Invoice" and line.amount:
                await shift_balance(
                    session, realm_id=realm_id, invoice_id=link.txn_id, by=line.amount
                )
