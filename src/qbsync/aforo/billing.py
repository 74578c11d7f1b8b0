"""Metering's invoices: client and wire schemas (the JPA entity as Jackson writes it)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import Field, TypeAdapter, field_validator

from qbsync.aforo.base import AforoModel, AforoServiceClient, UtcDatetime
from qbsync.aforo.credit_notes import CREDIT_NOTE, AforoCreditNote
from qbsync.aforo.errors import AforoNotReady


class AforoInvoiceStatus(StrEnum):
    DRAFT = "DRAFT"
    ISSUED = "ISSUED"
    PAID = "PAID"
    VOID = "VOID"
    OVERDUE = "OVERDUE"


class AforoInvoiceLine(AforoModel):
    id: int | None = None
    line_number: int
    description: str | None = None
    calculation: str | None = None  # e.g. "120 * 0.5", "Base"
    # Negative for discounts, 0.00 for informational lines (freemium credit, commitments).
    amount: Decimal
    # Metering always writes null for these two; kept so a future value is not lost.
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    # Our contract, ahead of metering: the line's tax rate in percent (20 means 20 %),
    # 0 for an untaxed line, absent when metering computed no tax.
    tax_rate: Decimal | None = None


class AforoInvoice(AforoModel):
    id: int
    organization_id: int
    customer_id: int
    subscription_id: int | None = None
    rate_plan_id: int | None = None
    invoice_number: str
    total_amount: Decimal
    # Misnamed upstream: metering fills it with the rate plan's billing frequency.
    model_type: str | None = None
    billing_period_start: UtcDatetime | None = None
    billing_period_end: UtcDatetime | None = None
    # A value outside the known enum stays a plain string rather than failing the sync.
    status: AforoInvoiceStatus | str = AforoInvoiceStatus.DRAFT
    notes: str | None = None
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None
    # Sorted by line number on the way in: metering's fetch join has no ORDER BY.
    line_items: list[AforoInvoiceLine] = Field(default_factory=list)
    # Our contract, ahead of metering (absent today): ISO 4217 code, the tax metering
    # computed (None: it computed none) and the rate it applied, and the exchange rate to
    # the company's home currency when metering knows it.
    currency: str | None = None
    tax_amount: Decimal | None = None
    tax_rate: Decimal | None = None
    exchange_rate: Decimal | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _known_status(cls, value: object) -> object:
        # A plain str would otherwise win the union and hide the enum from callers.
        if isinstance(value, str) and value in AforoInvoiceStatus.__members__:
            return AforoInvoiceStatus(value)
        return value

    @field_validator("line_items", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return [] if value is None else value

    @field_validator("line_items")
    @classmethod
    def _by_line_number(cls, lines: list[AforoInvoiceLine]) -> list[AforoInvoiceLine]:
        return sorted(lines, key=lambda line: line.line_number)

    @property
    def billing_frequency(self) -> str | None:
        return self.model_type


class AforoInvoicePage(AforoModel):
    invoices: list[AforoInvoice] = Field(default_factory=list)
    number_of_invoices: int | None = None


_INVOICE = TypeAdapter(AforoInvoice)
# Metering answered a bare list before commit 8251331; both shapes are accepted.
_INVOICE_LIST = TypeAdapter(AforoInvoicePage | list[AforoInvoice])


class BillingClient(AforoServiceClient):
    service = "metering"

    async def get_invoice(
        self, invoice_id: int, *, org_id: int, caller_token: str | None = None
    ) -> AforoInvoice:
        """The invoice; a 404 is asked once more, then raised as AforoNotReady.

        Metering fires its webhook before its transaction commits, so right after the
        webhook the invoice can be briefly invisible.
        """
        return await self._get(
            f"/api/invoices/{invoice_id}",
            _INVOICE,
            org_id=org_id,
            caller_token=caller_token,
            what=f"invoice {invoice_id}",
            owner=lambda record: record.organization_id,
            not_found=AforoNotReady,
        )

    async def list_invoices(
        self, *, org_id: int, caller_token: str | None = None
    ) -> list[AforoInvoice]:
        """The org's invoices, newest first (metering's order)."""
        answer = await self._get(
            "/api/invoices",
            _INVOICE_LIST,
            org_id=org_id,
            caller_token=caller_token,
            what=f"invoices of org {org_id}",
        )
        return answer if isinstance(answer, list) else answer.invoices

    async def get_credit_note(
        self, credit_note_id: int, *, org_id: int, caller_token: str | None = None
    ) -> AforoCreditNote:
        return await self._get(
            f"/api/credit-notes/{credit_note_id}",
            CREDIT_NOTE,
            org_id=org_id,
            caller_token=caller_token,
            what=f"credit note {credit_note_id}",
            owner=lambda record: record.organization_id,
        )
