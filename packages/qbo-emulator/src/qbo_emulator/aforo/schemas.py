"""The Aforo stubs' own wire models and their Jackson-like JSON (numbers stay exact decimals)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

StubService = Literal["org", "metering", "rateplan", "payment"]
STUB_SERVICES: tuple[StubService, ...] = ("org", "metering", "rateplan", "payment")


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Instant = Annotated[datetime, AfterValidator(_as_utc)]


def _absent(value: object) -> bool:
    return value is None


class StubModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
    )


class StubCustomer(StubModel):
    customer_id: int
    organization_id: int | None = None
    customer_name: str | None = None
    company_name: str | None = None
    company_type: str | None = None
    primary_email: str | None = None
    additional_email_recipients: list[str] = Field(default_factory=list)
    phone_number: str | None = None
    status: str = "DRAFT"
    customer_address_line1: str | None = None
    customer_address_line2: str | None = None
    customer_city: str | None = None
    customer_state: str | None = None
    customer_postal_code: str | None = None
    customer_country: str | None = None
    billing_same_as_customer: bool = True
    billing_address_line1: str | None = None
    billing_address_line2: str | None = None
    billing_city: str | None = None
    billing_state: str | None = None
    billing_postal_code: str | None = None
    billing_country: str | None = None
    company_logo_url: str | None = None
    created_on: Instant | None = None


class StubInvoiceLine(StubModel):
    id: int
    line_number: int
    description: str
    calculation: str | None = None
    amount: Decimal
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    # qbsync's contract ahead of metering: written only when set, as metering does not have it.
    tax_rate: Decimal | None = Field(default=None, exclude_if=_absent)


class StubInvoice(StubModel):
    id: int
    organization_id: int
    customer_id: int
    subscription_id: int | None = None
    rate_plan_id: int | None = None
    invoice_number: str
    total_amount: Decimal
    model_type: str | None = None
    billing_period_start: Instant
    billing_period_end: Instant
    status: str = "DRAFT"
    notes: str | None = None
    created_at: Instant
    updated_at: Instant
    line_items: list[StubInvoiceLine] = Field(default_factory=list)
    # qbsync's contract ahead of metering (docs/money-flow.md): written only when set.
    currency: str | None = Field(default=None, exclude_if=_absent)
    tax_amount: Decimal | None = Field(default=None, exclude_if=_absent)
    tax_rate: Decimal | None = Field(default=None, exclude_if=_absent)
    exchange_rate: Decimal | None = Field(default=None, exclude_if=_absent)


class StubCreditNoteLine(StubModel):
    line_number: int
    description: str | None = None
    amount: Decimal
    tax_rate: Decimal | None = Field(default=None, exclude_if=_absent)


class StubCreditNote(StubModel):
    """A credit note as qbsync's contract has metering serve it (GET /api/credit-notes/{id})."""

    id: int
    organization_id: int
    customer_id: int
    invoice_id: int | None = None
    credit_note_number: str
    total_amount: Decimal
    currency: str | None = None
    reason: str | None = None
    status: str = "ISSUED"
    issued_at: Instant
    line_items: list[StubCreditNoteLine] = Field(default_factory=list)


class StubRatePlan(StubModel):
    rate_plan_id: int
    # Control bodies carry it; the service's answer does not (it looks plans up by id *and* org).
    organization_id: int
    rate_plan_code: str | None = None
    rate_plan_name: str
    description: str | None = None
    billing_frequency: str = "MONTHLY"
    product_id: int | None = None
    product_name: str | None = None
    icon: str | None = None
    payment_type: str = "POSTPAID"
    billable_metric_id: int | None = None
    status: str = "ACTIVE"


class StubPayment(StubModel):
    id: str
    organization_id: int
    customer_id: int
    invoice_id: int
    amount: Decimal
    currency: str = "USD"
    payment_method: str | None = None
    paid_at: Instant
    reference: str | None = None
    # qbsync's contract: SUCCEEDED (unset), FAILED, CHARGED_BACK.
    status: str | None = Field(default=None, exclude_if=_absent)

    model_config = ConfigDict(coerce_numbers_to_str=True)


class StubRefund(StubModel):
    """A refund as qbsync's contract has the payment service serve it (GET /api/refunds/{id})."""

    id: str
    organization_id: int
    payment_id: str
    invoice_id: int
    customer_id: int
    amount: Decimal
    currency: str | None = None
    refunded_at: Instant
    reason: str | None = None
    reference: str | None = None

    model_config = ConfigDict(coerce_numbers_to_str=True)


class StubRequest(StubModel):
    """One request a stub service answered, for tests and bench to assert on."""

    service: StubService
    method: str
    path: str
    query: dict[str, str] = Field(default_factory=dict)
    organization_header: str | None = None
    token_subject: str | None = None
    token_org_id: int | None = None
    tenant: int | None = None
    status: int


def instant_text(value: datetime) -> str:
    """``java.time.Instant.toString``: no fraction when zero, else 3 or 6 digits."""
    value = _as_utc(value)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    micros = value.microsecond
    if micros:
        text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    return text + "Z"


def to_json(value: Any) -> str:
    """Serialize like Jackson does for these entities: decimals as exact JSON numbers
    (``210.00``, never ``210.0`` or ``"210.00"``), instants as ISO text, nulls kept."""
    if isinstance(value, BaseModel):
        return to_json(value.model_dump(mode="python"))
    if value is None or isinstance(value, bool | int | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return json.dumps(instant_text(value))
    if isinstance(value, Mapping):
        items = (f"{json.dumps(str(key))}:{to_json(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(to_json(item) for item in value) + "]"
    raise TypeError(f"cannot serialize {type(value).__name__}")


def from_json(content: bytes) -> Any:
    return json.loads(content, parse_float=Decimal)
