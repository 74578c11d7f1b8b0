"""Manual sync of one entity, and metering's invoice webhook."""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from qbsync.aforo.auth import org_id_from_claims
from qbsync.api.auth import PrincipalDep, TenantDep, TokenVerifier, get_verifier
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.errors import Forbidden, InvalidInput, Unauthorized
from qbsync.events.fields import AforoId
from qbsync.events.schemas import CustomerActivated, InvoiceCreated, PaymentReceived
from qbsync.ids import MAX_ID, parse_id
from qbsync.logging import has_controls
from qbsync.sync.engine import SyncOptions, sync_customer, sync_invoice, sync_payment
from qbsync.sync.models import SyncTrigger
from qbsync.sync.results import SyncResult

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/quickbooks", tags=["sync"])

_PREFIXED_ID = re.compile(r"^(?:CUST-|invoice-|payment-)", re.IGNORECASE)


class SyncBody(BaseModel):
    """Ids may come in the body under the names the original service and the UI used; any
    other field (the original took whole records) is ignored."""

    model_config = ConfigDict(extra="ignore")

    customer_id: str | int | None = Field(
        default=None, validation_alias=AliasChoices("customerId", "aforoCustomerId", "customer_id")
    )
    invoice_id: str | int | None = Field(
        default=None, validation_alias=AliasChoices("invoiceId", "aforoInvoiceId", "invoice_id")
    )
    payment_id: str | int | None = Field(
        default=None, validation_alias=AliasChoices("paymentId", "aforoPaymentId", "payment_id")
    )


OptionalBody = Annotated[SyncBody | None, Body()]


def _pick(name: str, *candidates: str | int | None) -> str:
    for value in candidates:
        if value is not None and str(value).strip():
            if has_controls(str(value)):
                raise InvalidInput(f"{name} must not contain control characters")
            return _PREFIXED_ID.sub("", str(value).strip())
    raise InvalidInput(f"{name} is required", hint=f"send ?{name}=… or a JSON body with {name}")


def _numeric(name: str, value: str) -> int:
    number = parse_id(value)
    if number is None:
        raise InvalidInput(f"{name} must be a number from 1 to {MAX_ID}, got {value[:40]!r}")
    return number


def _answer(result: SyncResult, *, id_name: str, qbo_name: str, aforo_value: str) -> JSONResponse:
    body: dict[str, Any] = {
        "status": "success" if result.error is None else "error",
        id_name: aforo_value,
        qbo_name: result.quickbooks_id,
        "action": result.action,
        "syncStatus": result.status,
        "message": result.message,
        "syncLogId": result.log_id,
    }
    if result.error is not None:
        body["error"] = result.error.code
        body["retryable"] = result.error.retryable
        status = result.error.status_code
    else:
        status = 200
    return JSONResponse(body, status_code=status)


def _options(principal_token: str, trigger: SyncTrigger = SyncTrigger.MANUAL) -> SyncOptions:
    return SyncOptions(trigger=trigger, caller_token=principal_token)


@router.post("/sync/customer", response_model=None)
async def sync_customer_route(
    organization_id: TenantDep,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    body: OptionalBody = None,
    customer_id: Annotated[str | None, Query(alias="customerId")] = None,
    aforo_customer_id: Annotated[str | None, Query(alias="aforoCustomerId")] = None,
    run_async: Annotated[bool, Query(alias="async")] = False,
) -> JSONResponse:
    raw = _pick("customerId", customer_id, aforo_customer_id, body.customer_id if body else None)
    aforo_id = _numeric("customerId", raw)
    if run_async:
        event = CustomerActivated(organization_id=organization_id, customer_id=aforo_id)
        return await _enqueue(resources, event, f"CUST-{aforo_id}")
    result = await sync_customer(
        session,
        resources.sync_deps,
        organization_id=organization_id,
        customer_id=aforo_id,
        options=_options(principal.token),
    )
    return _answer(
        result,
        id_name="aforoCustomerId",
        qbo_name="quickbooksCustomerId",
        aforo_value=f"CUST-{aforo_id}",
    )


@router.post("/sync/invoice", response_model=None)
async def sync_invoice_route(
    organization_id: TenantDep,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    body: OptionalBody = None,
    invoice_id: Annotated[str | None, Query(alias="invoiceId")] = None,
    aforo_invoice_id: Annotated[str | None, Query(alias="aforoInvoiceId")] = None,
    run_async: Annotated[bool, Query(alias="async")] = False,
) -> JSONResponse:
    raw = _pick("invoiceId", invoice_id, aforo_invoice_id, body.invoice_id if body else None)
    aforo_id = _numeric("invoiceId", raw)
    if run_async:
        event = InvoiceCreated(organization_id=organization_id, invoice_id=aforo_id)
        return await _enqueue(resources, event, f"invoice-{aforo_id}")
    result = await sync_invoice(
        session,
        resources.sync_deps,
        organization_id=organization_id,
        invoice_id=aforo_id,
        options=_options(principal.token),
    )
    return _answer(
        result,
        id_name="aforoInvoiceId",
        qbo_name="quickbooksInvoiceId",
        aforo_value=f"invoice-{aforo_id}",
    )


@router.post("/sync/payment", response_model=None)
async def sync_payment_route(
    organization_id: TenantDep,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
    body: OptionalBody = None,
    payment_id: Annotated[str | None, Query(alias="paymentId")] = None,
    aforo_payment_id: Annotated[str | None, Query(alias="aforoPaymentId")] = None,
    run_async: Annotated[bool, Query(alias="async")] = False,
) -> JSONResponse:
    aforo_id = _pick("paymentId", payment_id, aforo_payment_id, body.payment_id if body else None)
    if len(aforo_id) > 90:
        raise InvalidInput("paymentId is longer than 90 characters")
    if run_async:
        event = PaymentReceived(organization_id=organization_id, payment_id=aforo_id)
        return await _enqueue(resources, event, f"payment-{aforo_id}")
    result = await sync_payment(
        session,
        resources.sync_deps,
        organization_id=organization_id,
        payment_id=aforo_id,
        options=_options(principal.token),
    )
    return _answer(
        result,
        id_name="aforoPaymentId",
        qbo_name="quickbooksPaymentId",
        aforo_value=f"payment-{aforo_id}",
    )


async def _enqueue(
    resources: ResourcesDep,
    event: CustomerActivated | InvoiceCreated | PaymentReceived,
    aforo_id: str,
) -> JSONResponse:
    message_id = await resources.publisher.publish(event, trigger=SyncTrigger.MANUAL)
    return JSONResponse(
        {
            "status": "accepted",
            "aforoId": aforo_id,
            "messageId": message_id,
            "message": "sync queued",
        },
        status_code=202,
    )


class InvoiceCreatedWebhook(BaseModel):
    """Metering's body (a Java HashMap: key order arbitrary, amounts as JSON numbers)."""

    model_config = ConfigDict(extra="ignore")

    invoice_id: AforoId = Field(validation_alias=AliasChoices("invoiceId", "invoice_id"))
    organization_id: AforoId = Field(
        validation_alias=AliasChoices("organizationId", "organization_id")
    )
    customer_id: AforoId | None = Field(
        default=None, validation_alias=AliasChoices("customerId", "customer_id")
    )
    invoice_number: str | None = Field(
        default=None,
        max_length=100,
        validation_alias=AliasChoices("invoiceNumber", "invoice_number"),
    )
    total_amount: Decimal | None = Field(
        default=None, validation_alias=AliasChoices("totalAmount", "total_amount")
    )
    jwt_token: str | None = Field(
        default=None, repr=False, validation_alias=AliasChoices("jwtToken", "jwt_token")
    )


@router.post("/webhook/invoice-created", status_code=202)
async def invoice_created_webhook(
    payload: InvoiceCreatedWebhook,
    resources: ResourcesDep,
    verifier: Annotated[TokenVerifier, Depends(get_verifier)],
) -> dict[str, Any]:
    """No bearer header: the credential is the ``jwtToken`` metering puts in the body. The
    work goes to the invoice queue (durable, retried); the answer comes in milliseconds."""
    if not payload.jwt_token:
        raise Unauthorized("jwtToken is missing from the body")
    claims = await verifier.verify(payload.jwt_token)
    if org_id_from_claims(claims) != payload.organization_id:
        raise Forbidden("the jwtToken belongs to another organization than organizationId")
    # The token is not forwarded: it expires in two hours, and the consumer mints its own.
    event = InvoiceCreated(
        organization_id=payload.organization_id,
        invoice_id=payload.invoice_id,
        customer_id=payload.customer_id,
        invoice_number=payload.invoice_number,
        total_amount=payload.total_amount,
    )
    message_id = await resources.publisher.publish(event, trigger=SyncTrigger.WEBHOOK)
    log.info(
        "invoice webhook accepted",
        extra={"org_id": payload.organization_id, "invoice_id": payload.invoice_id},
    )
    return {
        "status": "accepted",
        "message": "Invoice sync triggered",
        "invoiceId": payload.invoice_id,
        "organizationId": payload.organization_id,
        "messageId": message_id,
    }
