"""The engine's entry points, one per entity; every trigger (events, manual routes, the
webhook, retries, backfills) calls these and nothing else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.connections import repository as connections
from qbsync.connections.tokens import ensure_usable
from qbsync.db.base import utcnow
from qbsync.errors import InvalidInput, QbsyncError
from qbsync.ids import parse_id
from qbsync.sync.attempts import failure_status, record
from qbsync.sync.context import LogScope, SyncContext, SyncDeps
from qbsync.sync.customers import sync_customer_in
from qbsync.sync.invoices import sync_invoice_in
from qbsync.sync.mappers.customers import customer_aforo_id
from qbsync.sync.mappers.invoices import invoice_aforo_id
from qbsync.sync.mappers.payments import PaymentFacts, payment_aforo_id
from qbsync.sync.models import EntityType, SyncAction, SyncTrigger
from qbsync.sync.payments import sync_payment_in
from qbsync.sync.results import SyncResult


@dataclass(frozen=True)
class SyncOptions:
    trigger: SyncTrigger = SyncTrigger.MANUAL
    correlation_id: str | None = None
    caller_token: str | None = field(default=None, repr=False)
    attempt: int = 1
    # Whether a failure will be retried by the caller (events): logged RETRYING, not FAILED.
    will_retry: bool = False


async def _context(
    session: AsyncSession,
    deps: SyncDeps,
    *,
    organization_id: int,
    entity_type: str,
    aforo_id: str,
    options: SyncOptions,
) -> SyncContext | SyncResult:
    connection = await connections.get_connection(session, organization_id)
    try:
        usable = ensure_usable(organization_id, connection)
    except QbsyncError as error:
        scope = LogScope(
            organization_id,
            connection.realm_id if connection else None,
            options.trigger,
            options.attempt,
            options.correlation_id,
        )
        status = failure_status(error, will_retry=False)
        entry = await record(
            session,
            scope,
            entity_type=entity_type,
            aforo_id=aforo_id,
            status=status,
            action=SyncAction.SKIP,
            error=error,
        )
        return SyncResult(
            entity_type,
            aforo_id,
            status,
            SyncAction.SKIP,
            None,
            entry.error_message or error.message,
            entry.id,
            error,
        )
    return SyncContext(
        session=session,
        deps=deps,
        connection=usable,
        qbo=deps.quickbooks.client(organization_id=organization_id, realm_id=usable.realm_id),
        trigger=options.trigger,
        correlation_id=options.correlation_id,
        caller_token=options.caller_token,
        attempt=options.attempt,
        will_retry=options.will_retry,
    )


async def _run(
    session: AsyncSession,
    deps: SyncDeps,
    *,
    organization_id: int,
    entity_type: str,
    aforo_id: str,
    options: SyncOptions,
    work: Callable[[SyncContext], Awaitable[SyncResult]],
) -> SyncResult:
    ctx = await _context(
        session,
        deps,
        organization_id=organization_id,
        entity_type=entity_type,
        aforo_id=aforo_id,
        options=options,
    )
    if isinstance(ctx, SyncResult):
        return ctx  # not connected: logged as such, nothing else to do
    result = await work(ctx)
    if result.error is None:
        ctx.connection.last_sync_at = utcnow()
    return result


async def sync_customer(
    session: AsyncSession,
    deps: SyncDeps,
    *,
    organization_id: int,
    customer_id: int,
    options: SyncOptions = SyncOptions(),
) -> SyncResult:
    return await _run(
        session,
        deps,
        organization_id=organization_id,
        entity_type=EntityType.CUSTOMER,
        aforo_id=customer_aforo_id(customer_id),
        options=options,
        work=lambda ctx: sync_customer_in(ctx, customer_id),
    )


async def sync_invoice(
    session: AsyncSession,
    deps: SyncDeps,
    *,
    organization_id: int,
    invoice_id: int,
    options: SyncOptions = SyncOptions(),
) -> SyncResult:
    return await _run(
        session,
        deps,
        organization_id=organization_id,
        entity_type=EntityType.INVOICE,
        aforo_id=invoice_aforo_id(invoice_id),
        options=options,
        work=lambda ctx: sync_invoice_in(ctx, invoice_id),
    )


async def sync_payment(
    session: AsyncSession,
    deps: SyncDeps,
    *,
    organization_id: int,
    payment_id: str,
    facts: PaymentFacts | None = None,
    options: SyncOptions = SyncOptions(),
) -> SyncResult:
    """``facts`` come from the event when it carries them; otherwise the payment service."""
    return await _run(
        session,
        deps,
        organization_id=organization_id,
        entity_type=EntityType.PAYMENT,
        aforo_id=payment_aforo_id(payment_id),
        options=options,
        work=lambda ctx: sync_payment_in(ctx, payment_id, facts),
    )


async def sync_entity(
    session: AsyncSession,
    deps: SyncDeps,
    *,
    organization_id: int,
    entity_type: str,
    aforo_id: str,
    options: SyncOptions = SyncOptions(),
) -> SyncResult:
    """Sync one entity named as the sync log names it (``CUST-5``, ``invoice-42``, …)."""
    kind, number = parse_aforo_id(entity_type, aforo_id)
    if kind == EntityType.CUSTOMER:
        return await sync_customer(
            session, deps, organization_id=organization_id, customer_id=int(number), options=options
        )
    if kind == EntityType.INVOICE:
        return await sync_invoice(
            session, deps, organization_id=organization_id, invoice_id=int(number), options=options
        )
    return await sync_payment(
        session, deps, organization_id=organization_id, payment_id=number, options=options
    )


_PREFIXES = {
    EntityType.CUSTOMER: "CUST-",
    EntityType.INVOICE: "invoice-",
    EntityType.PAYMENT: "payment-",
}


def parse_aforo_id(entity_type: str, aforo_id: str) -> tuple[EntityType, str]:
    """``("INVOICE", "invoice-42")`` or ``("invoice", "42")`` -> ``(INVOICE, "42")``."""
    try:
        kind = EntityType(entity_type.upper())
    except ValueError:
        raise InvalidInput(f"unknown entity type {entity_type!r}") from None
    if kind not in _PREFIXES:
        raise InvalidInput(
            f"{kind} records are synced with the invoices that use them; retry the invoice"
        )
    prefix = _PREFIXES[kind]
    value = aforo_id.strip()
    if value.lower().startswith(prefix.lower()):
        value = value[len(prefix) :]
    valid = 0 < len(value) <= 90 if kind == EntityType.PAYMENT else parse_id(value) is not None
    if not valid:
        raise InvalidInput(f"{aforo_id[:40]!r} is not a {kind.lower()} id")
    return kind, value


def aforo_id_of(kind: EntityType, value: str) -> str:
    return _PREFIXES[kind] + value


def log_aforo_id(entity_type: str | None, entity_id: str | None, *, fallback: str) -> str:
    """The sync log's id for an entity an event names (``CUSTOMER``, ``5`` -> ``CUST-5``)."""
    if entity_type and entity_id and entity_type in _PREFIXES:
        return aforo_id_of(EntityType(entity_type), entity_id)
    return fallback
