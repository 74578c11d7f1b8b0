"""Credit notes (a contract of ours, served by metering next to its invoices): the schema."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, TypeAdapter

from qbsync.aforo.base import AforoModel, UtcDatetime


class AforoCreditNoteLine(AforoModel):
    line_number: int
    description: str | None = None
    # Positive: the credit given on this line.
    amount: Decimal
    tax_rate: Decimal | None = None


class AforoCreditNote(AforoModel):
    id: int
    organization_id: int
    customer_id: int
    # The invoice it credits, if any: the credit is applied to that invoice first.
    invoice_id: int | None = None
    credit_note_number: str
    total_amount: Decimal
    currency: str | None = None
    reason: str | None = None
    # ISSUED or VOID.
    status: str = "ISSUED"
    issued_at: UtcDatetime | None = None
    line_items: list[AforoCreditNoteLine] = Field(default_factory=list)


CREDIT_NOTE = TypeAdapter(AforoCreditNote)
