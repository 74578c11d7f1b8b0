"""How pending work reaches the sync engine: one call per (organization, kind, Aforo id)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.quickbooks.limiter import URGENT
from qbsync.scheduler.execution import Attempt, Execute
from qbsync.scheduler.models import Priority
from qbsync.sync.context import SyncDeps
from qbsync.sync.engine import SyncOptions, parse_aforo_id, sync_entity, sync_payment
from qbsync.sync.mappers.payments import PaymentFacts
from qbsync.sync.models import EntityType
from qbsync.sync.results import SyncResult


def payment_details(facts: PaymentFacts) -> dict[str, Any]:
    """A payment event's facts as JSON for the work row (money as a string, never a float)."""
    return {
        "paymentId": facts.payment_id,
        "organizationId": facts.organization_id,
        "invoiceId": facts.invoice_id,
        "customerId": facts.customer_id,
        "amount": str(facts.amount),
        "paidAt": facts.paid_at.isoformat() if facts.paid_at else None,
        "currency": facts.currency,
        "paymentMethod": facts.payment_method,
        "reference": facts.reference,
    }


def payment_facts(details: dict[str, Any]) -> PaymentFacts:
    paid_at = details.get("paidAt")
    return PaymentFacts(
        payment_id=str(details["paymentId"]),
        organization_id=int(details["organizationId"]),
        invoice_id=int(details["invoiceId"]),
        customer_id=details.get("customerId"),
        amount=Decimal(details["amount"]),
        paid_at=datetime.fromisoformat(paid_at) if paid_at else None,
        currency=details.get("currency"),
        payment_method=details.get("paymentMethod"),
        reference=details.get("reference"),
    )


def known_details(known: object | None) -> dict[str, Any] | None:
    """What a trigger knows of its record, kept on the work row until the sync runs."""
    return payment_details(known) if isinstance(known, PaymentFacts) else None


def engine_executor(deps: SyncDeps) -> Execute:
    """Each attempt is one call of the engine for (organization, kind, Aforo id)."""

    async def execute(session: AsyncSession, attempt: Attempt) -> SyncResult:
        work = attempt.work
        options = SyncOptions(
            trigger=attempt.trigger,
            correlation_id=work.correlation_id,
            attempt=attempt.number,
            will_retry=attempt.will_retry,
            caller_token=attempt.caller_token,
        )
        urgent = URGENT.set(work.priority == Priority.INTERACTIVE)
        try:
            kind, value = parse_aforo_id(work.kind, work.aforo_id)
            if kind == EntityType.PAYMENT and work.details:
                return await sync_payment(
                    session,
                    deps,
                    organization_id=work.organization_id,
                    payment_id=value,
                    facts=payment_facts(work.details),
                    options=options,
                )
            return await sync_entity(
                session,
                deps,
                organization_id=work.organization_id,
                entity_type=work.kind,
                aforo_id=work.aforo_id,
                options=options,
            )
        finally:
            URGENT.reset(urgent)

    return execute
