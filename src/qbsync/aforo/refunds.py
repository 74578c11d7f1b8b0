"""Refunds (a contract of ours, served by the payment service): the schema."""

from __future__ import annotations

from decimal import Decimal

from pydantic import AliasChoices, Field, TypeAdapter

from qbsync.aforo.base import AforoModel, UtcDatetime


class AforoRefund(AforoModel):
    id: str = Field(validation_alias=AliasChoices("id", "refundId", "refund_id"))
    organization_id: int
    payment_id: str
    invoice_id: int
    customer_id: int
    # Positive: what went back to the customer (a part of the payment, or all of it).
    amount: Decimal
    currency: str | None = None
    refunded_at: UtcDatetime
    reason: str | None = None
    reference: str | None = None


REFUND = TypeAdapter(AforoRefund)
