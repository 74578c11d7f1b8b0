"""Event message schemas as the Aforo (Java) services publish them, and ``decode_message``.

There is no envelope on the wire: Spring AMQP's Jackson converter sends the event object
itself, so the event type comes from the routing key (or the queue it was consumed from),
not from a discriminator field. Unknown fields and Spring headers (``__TypeId__``) are
ignored on purpose: the publishers add fields without telling us.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import ClassVar, Final, NoReturn

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from qbsync.events.errors import (
    INVALID_JSON,
    OVERSIZED_BODY,
    UNKNOWN_EVENT_TYPE,
    UNSUPPORTED_CONTENT_TYPE,
    WRONG_SCHEMA,
    InvalidMessage,
)
from qbsync.events.fields import AforoId, AforoStrId, Instant, Money

CUSTOMER_ACTIVATED: Final = "customer.activated"
INVOICE_CREATED: Final = "invoice.created"
PAYMENT_RECEIVED: Final = "payment.received"
# The money after the first write (docs/events.md): our contract, ahead of the publishers.
INVOICE_UPDATED: Final = "invoice.updated"
INVOICE_VOIDED: Final = "invoice.voided"
CREDIT_NOTE_ISSUED: Final = "credit_note.issued"
PAYMENT_REFUNDED: Final = "payment.refunded"
PAYMENT_FAILED: Final = "payment.failed"
PAYMENT_CHARGED_BACK: Final = "payment.charged_back"

DEFAULT_MAX_BODY_BYTES: Final = 256 * 1024
# Spring treats a missing content type and octet-stream as JSON (since 2.2); text/plain is
# what SimpleMessageConverter sends for a String, which may well hold JSON.
_ACCEPTED_MEDIA_TYPES: Final = frozenset(
    {"application/json", "application/octet-stream", "text/plain"}
)


class _AforoEvent(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
        frozen=True,
    )

    routing_key: ClassVar[str]
    entity_type: ClassVar[str]
    # The field that names the event's record (its wire name is ``id_key``).
    id_field: ClassVar[str]

    organization_id: AforoId
    event_id: str | None = Field(default=None, max_length=200)

    @property
    def entity_id(self) -> str:
        return str(getattr(self, self.id_field))

    @classmethod
    def id_key(cls) -> str:
        return to_camel(cls.id_field)


class CustomerActivated(_AforoEvent):
    routing_key = CUSTOMER_ACTIVATED
    entity_type = "CUSTOMER"
    id_field = "customer_id"

    customer_id: AforoId
    occurred_at: Instant | None = None


class InvoiceCreated(_AforoEvent):
    routing_key = INVOICE_CREATED
    entity_type = "INVOICE"
    id_field = "invoice_id"

    invoice_id: AforoId
    customer_id: AforoId | None = None
    subscription_id: AforoId | None = None
    rate_plan_id: AforoId | None = None
    invoice_number: str | None = Field(default=None, max_length=100)
    total_amount: Money | None = None
    billing_period_start: Instant | None = None
    billing_period_end: Instant | None = None
    created_at: Instant | None = None
    # Metering's webhook forwards the caller's JWT; it must never reach a log line.
    jwt_token: str | None = Field(default=None, repr=False)


class PaymentReceived(_AforoEvent):
    routing_key = PAYMENT_RECEIVED
    entity_type = "PAYMENT"
    id_field = "payment_id"

    payment_id: AforoStrId
    invoice_id: AforoId | None = None
    customer_id: AforoId | None = None
    amount: Money | None = None
    currency: str | None = Field(default=None, max_length=3)
    payment_method: str | None = Field(default=None, max_length=100)
    paid_at: Instant | None = None
    reference: str | None = Field(default=None, max_length=200)


class _InvoiceChanged(_AforoEvent):
    entity_type = "INVOICE"
    id_field = "invoice_id"

    invoice_id: AforoId
    customer_id: AforoId | None = None
    invoice_number: str | None = Field(default=None, max_length=100)
    status: str | None = Field(default=None, max_length=20)
    occurred_at: Instant | None = None


class InvoiceUpdated(_InvoiceChanged):
    """An invoice's lines, amounts, dates or status changed (DRAFT -> ISSUED included)."""

    routing_key = INVOICE_UPDATED


class InvoiceVoided(_InvoiceChanged):
    routing_key = INVOICE_VOIDED


class CreditNoteIssued(_AforoEvent):
    """A credit note was issued (or voided: ``status`` VOID) for a customer, maybe for an invoice."""

    routing_key = CREDIT_NOTE_ISSUED
    entity_type = "CREDITMEMO"
    id_field = "credit_note_id"

    credit_note_id: AforoId
    invoice_id: AforoId | None = None
    customer_id: AforoId | None = None
    total_amount: Money | None = None
    status: str | None = Field(default=None, max_length=20)
    occurred_at: Instant | None = None

    @field_validator("credit_note_id", mode="before")
    @classmethod
    def _key_or_id(cls, value: object) -> object:
        # qbsync queues its own work with the kind's key ("note-5"); publishers send 5.
        if isinstance(value, str) and value.strip().lower().startswith("note-"):
            return value.strip()[len("note-") :]
        return value

    @property
    def entity_id(self) -> str:
        return f"note-{self.credit_note_id}"


class PaymentRefunded(_AforoEvent):
    """Money of a payment went back to the customer (all of it or a part)."""

    routing_key = PAYMENT_REFUNDED
    entity_type = "REFUND"
    id_field = "refund_id"

    refund_id: AforoStrId
    payment_id: AforoStrId | None = None
    invoice_id: AforoId | None = None
    customer_id: AforoId | None = None
    amount: Money | None = None
    currency: str | None = Field(default=None, max_length=3)
    refunded_at: Instant | None = None
    reason: str | None = Field(default=None, max_length=200)
    reference: str | None = Field(default=None, max_length=200)


class _PaymentReversed(_AforoEvent):
    entity_type = "PAYMENT"
    id_field = "payment_id"

    payment_id: AforoStrId
    invoice_id: AforoId | None = None
    reason: str | None = Field(default=None, max_length=200)
    occurred_at: Instant | None = None


class PaymentFailed(_PaymentReversed):
    """A payment reported received did not go through (a bounced debit, a failed capture)."""

    routing_key = PAYMENT_FAILED


class PaymentChargedBack(_PaymentReversed):
    """The customer's bank took a received payment back."""

    routing_key = PAYMENT_CHARGED_BACK


Event = (
    CustomerActivated
    | InvoiceCreated
    | PaymentReceived
    | InvoiceUpdated
    | InvoiceVoided
    | CreditNoteIssued
    | PaymentRefunded
    | PaymentFailed
    | PaymentChargedBack
)

EVENT_TYPES: Final[Mapping[str, type[Event]]] = {
    model.routing_key: model
    for model in (
        CustomerActivated,
        InvoiceCreated,
        PaymentReceived,
        InvoiceUpdated,
        InvoiceVoided,
        CreditNoteIssued,
        PaymentRefunded,
        PaymentFailed,
        PaymentChargedBack,
    )
}


def encode_event(event: Event) -> bytes:
    """The JSON body we publish: camelCase keys like the Java services, nulls left out."""
    return event.model_dump_json(by_alias=True, exclude_none=True).encode()


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(body: bytes, charset: str = "utf-8") -> object:
    """Parse a body with money kept exact (``parse_float=Decimal``); NaN/Infinity refused."""
    return json.loads(body.decode(charset), parse_float=Decimal, parse_constant=_reject_constant)


def _charset(content_type: str | None) -> str:
    if content_type is None:
        return "utf-8"
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"').lower()
    return "utf-8"


def _check_content_type(content_type: str | None, content_encoding: str | None) -> None:
    if content_type is not None and content_type.strip():
        media_type = content_type.split(";")[0].strip().lower()
        if media_type not in _ACCEPTED_MEDIA_TYPES:
            raise InvalidMessage(
                UNSUPPORTED_CONTENT_TYPE, f"content type {media_type!r} is not JSON"
            )
    # Spring sets content_encoding "UTF-8"; anything else (gzip, deflate) is not plain JSON.
    if content_encoding is not None and content_encoding.strip():
        encoding = content_encoding.strip().lower().replace("_", "-")
        if encoding not in {"utf-8", "utf8"}:
            raise InvalidMessage(
                UNSUPPORTED_CONTENT_TYPE, f"content encoding {content_encoding!r} is not supported"
            )


def _schema_detail(exc: ValidationError) -> str:
    # Field locations and messages only: never the input values, which may carry a JWT.
    parts = [
        f"{'.'.join(str(p) for p in err['loc']) or '<body>'}: {err['msg']}"
        for err in exc.errors(include_input=False, include_url=False)
    ]
    return "; ".join(parts[:10])


def decode_message(
    routing_key: str,
    body: bytes,
    content_type: str | None,
    headers: Mapping[str, object] | None = None,
    *,
    content_encoding: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Event:
    """Turn a message for ``routing_key`` (an ``EVENT_TYPES`` key) into its event.

    Raises ``InvalidMessage`` with a reason code from ``qbsync.events.errors``. ``headers``
    are accepted for symmetry with the wire and deliberately not interpreted: Spring's
    ``__TypeId__`` names a Java class, and the routing key is what decides the type.
    """
    del headers
    model = EVENT_TYPES.get(routing_key)
    if model is None:
        raise InvalidMessage(UNKNOWN_EVENT_TYPE, f"no event type for {routing_key!r}")
    if len(body) > max_body_bytes:
        raise InvalidMessage(
            OVERSIZED_BODY, f"body is {len(body)} bytes, the limit is {max_body_bytes}"
        )
    _check_content_type(content_type, content_encoding)
    try:
        data = parse_json(body, _charset(content_type))
    except (LookupError, ValueError, RecursionError) as exc:
        # json.JSONDecodeError and UnicodeDecodeError are ValueErrors; LookupError is an
        # unknown charset; RecursionError is JSON nested deeper than Python's stack.
        raise InvalidMessage(INVALID_JSON, f"body is not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise InvalidMessage(WRONG_SCHEMA, f"body is a JSON {type(data).__name__}, not an object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidMessage(WRONG_SCHEMA, _schema_detail(exc)) from None
    except RecursionError:
        raise InvalidMessage(WRONG_SCHEMA, "body is nested too deeply") from None
