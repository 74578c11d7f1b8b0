"""One handler per event type: each runs the sync engine in its own unit of work."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.config import AmqpSettings
from qbsync.events.runner import Handler
from qbsync.events.schemas import CustomerActivated, Event, InvoiceCreated, PaymentReceived
from qbsync.events.settlement import MessageContext
from qbsync.logging import log_context
from qbsync.scheduler.errors import DatabaseUnavailable
from qbsync.sync.context import SyncDeps
from qbsync.sync.engine import SyncOptions, sync_customer, sync_invoice, sync_payment
from qbsync.sync.mappers.payments import PaymentFacts
from qbsync.sync.models import SyncStatus, SyncTrigger
from qbsync.sync.results import SyncResult

log = logging.getLogger(__name__)


def _trigger(ctx: MessageContext) -> SyncTrigger:
    if ctx.attempt > 1:
        return SyncTrigger.RETRY
    try:
        return SyncTrigger(ctx.trigger) if ctx.trigger else SyncTrigger.EVENT
    except ValueError:
        return SyncTrigger.EVENT


def payment_facts(event: PaymentReceived) -> PaymentFacts | None:
    """The event's own data when it is enough to sync from; else the payment service is asked."""
    if event.amount is None or event.invoice_id is None:
        return None
    return PaymentFacts(
        payment_id=event.payment_id,
        organization_id=event.organization_id,
        invoice_id=event.invoice_id,
        customer_id=event.customer_id,
        amount=event.amount,
        paid_at=event.paid_at,
        currency=event.currency,
        payment_method=event.payment_method,
        reference=event.reference,
    )


def build_handler(
    sessionmaker: async_sessionmaker[AsyncSession], deps: SyncDeps, settings: AmqpSettings
) -> Handler:
    async def handle(event: Event, ctx: MessageContext) -> None:
        options = SyncOptions(
            trigger=_trigger(ctx),
            correlation_id=ctx.correlation_id,
            attempt=ctx.attempt,
            # The last attempt is logged FAILED: after it the message is parked.
            will_retry=ctx.attempt <= len(settings.retry_delays_s),
        )
        with log_context(correlation_id=ctx.correlation_id, org_id=event.organization_id):
            try:
                # The engine's unit of work commits here, before the runner acks the message.
                async with sessionmaker.begin() as session:
                    result = await _sync(session, deps, event, options)
            except (IntegrityError, DataError):
                raise  # our bug or bad data, not an outage: parked as unexpected
            except (DBAPIError, PoolTimeout, OSError, TimeoutError) as exc:
                # Postgres away: nothing was committed, so the whole sync is retried later
                # (a write that reached QuickBooks is found again by its requestid).
                raise DatabaseUnavailable(f"database unavailable: {type(exc).__name__}") from exc
        if result.error is not None and result.status != SyncStatus.SKIPPED:
            # Already in the sync log; the runner retries it later or parks it.
            raise result.error

    return handle


async def _sync(
    session: AsyncSession, deps: SyncDeps, event: Event, options: SyncOptions
) -> SyncResult:
    if isinstance(event, CustomerActivated):
        return await sync_customer(
            session,
            deps,
            organization_id=event.organization_id,
            customer_id=event.customer_id,
            options=options,
        )
    if isinstance(event, InvoiceCreated):
        return await sync_invoice(
            session,
            deps,
            organization_id=event.organization_id,
            invoice_id=event.invoice_id,
            options=options,
        )
    return await sync_payment(
        session,
        deps,
        organization_id=event.organization_id,
        payment_id=event.payment_id,
        facts=payment_facts(event),
        options=options,
    )
