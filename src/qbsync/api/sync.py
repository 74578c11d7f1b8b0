"""Manual sync of one record of each kind that has a compatibility route, and metering's
invoice webhook."""

# No ``from __future__ import annotations``: the manual routes are built in a loop, and
# FastAPI must see each one's own aliases in its annotations.

import logging
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, create_model

from qbsync.aforo.auth import org_id_from_claims
from qbsync.api.auth import PrincipalDep, TenantDep, TokenVerifier, get_verifier
from qbsync.api.deps import ResourcesDep
from qbsync.api.errors import ERRORS, errors
from qbsync.api.views import CamelModel
from qbsync.errors import Forbidden, InvalidInput, Unauthorized
from qbsync.events.fields import AforoId
from qbsync.events.schemas import InvoiceCreated
from qbsync.resources import Resources
from qbsync.sync.models import SyncTrigger
from qbsync.sync.registry import CompatRoute, Kind, kinds
from qbsync.sync.results import SyncResult

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/quickbooks", tags=["sync"])


def _pick(name: str, *candidates: object) -> str:
    for value in candidates:
        if value is not None and str(value).strip():
            return str(value).strip()
    raise InvalidInput(f"{name} is required", hint=f"send ?{name}=… or a JSON body with {name}")


def _answer(result: SyncResult, route: CompatRoute, aforo_id: str) -> JSONResponse:
    body: dict[str, Any] = {
        "status": "success" if result.error is None else "error",
        route.answer_id: aforo_id,
        route.answer_qbo_id: result.quickbooks_id,
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


async def _enqueue(resources: Resources, event: Any, aforo_id: str) -> JSONResponse:
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


def _still_queued(aforo_id: str, work_id: int) -> JSONResponse:
    """No result within ``QBSYNC_SCHEDULER__MANUAL_WAIT_S``: the sync stays queued at the
    top priority and runs in its realm's turn."""
    return JSONResponse(
        {
            "status": "accepted",
            "aforoId": aforo_id,
            "workId": work_id,
            "message": "sync queued; it runs as soon as the company's turn comes",
        },
        status_code=202,
    )


def _body_model(kind: Kind, route: CompatRoute) -> type[BaseModel]:
    """Ids may come in the body under the names the original service and the UI used; any
    other field (the original took whole records) is ignored."""
    return create_model(
        f"Sync{kind.quickbooks_model.__name__}Body",
        __config__=ConfigDict(extra="ignore"),
        id=(
            str | int | None,
            Field(
                default=None,
                validation_alias=AliasChoices(route.id_param, route.answer_id, route.snake_param),
            ),
        ),
    )


class SyncQueued(BaseModel):
    status: str
    aforoId: str
    messageId: str
    message: str


def _answer_model(kind: Kind, route: CompatRoute) -> type[BaseModel]:
    """The answer of a manual sync, with the kind's own id names; ``error`` and
    ``retryable`` only when it failed (the status is then the error's)."""
    fields: dict[str, Any] = {
        "status": (str, ...),
        route.answer_id: (str, ...),
        route.answer_qbo_id: (str | None, None),
        "action": (str, ...),
        "syncStatus": (str, ...),
        "message": (str, ...),
        "syncLogId": (int | None, None),
        "error": (str | None, None),
        "retryable": (bool | None, None),
    }
    return create_model(f"Sync{kind.quickbooks_model.__name__}Answer", **fields)


def _event_of(event: Any, organization_id: int, key: object, label: str) -> Any:
    """The kind's event for ``?async=true``: its id field may be narrower than what the
    route takes (a credit note's event wants the number of ``note-5``), so a key it refuses
    is the caller's bad input (422), not a failure of ours."""
    try:
        return event(organization_id=organization_id, **{event.id_field: key})
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise InvalidInput(f"{label} {key!r} cannot be queued: {reason}") from None


def _add_manual_route(kind: Kind, route: CompatRoute) -> None:
    """``POST /sync/<kind>``: sync one record now (or queue it with ``?async=true``)."""
    body_model = _body_model(kind, route)
    event = kind.event

    async def manual_sync(
        organization_id: TenantDep,
        principal: PrincipalDep,
        resources: ResourcesDep,
        body: Annotated[body_model | None, Body()] = None,  # type: ignore[valid-type]
        aforo_id: Annotated[str | None, Query(alias=route.id_param)] = None,
        prefixed_id: Annotated[str | None, Query(alias=route.answer_id)] = None,
        run_async: Annotated[bool, Query(alias="async")] = False,
    ) -> JSONResponse:
        raw = _pick(route.id_param, aforo_id, prefixed_id, getattr(body, "id", None))
        key = kind.codec.parse(raw, label=route.id_param)
        full_id = kind.aforo_id(key)
        if run_async and event is not None:
            queued = _event_of(event, organization_id, key, route.id_param)
            return await _enqueue(resources, queued, full_id)
        waited = await resources.scheduling.sync_for_person(
            organization_id=organization_id,
            kind=kind.entity_type,
            aforo_id=full_id,
            caller_token=principal.token,
        )
        if waited.result is None:
            return _still_queued(full_id, waited.work_id)
        return _answer(waited.result, route, full_id)

    router.add_api_route(
        f"/sync/{route.path}",
        manual_sync,
        methods=["POST"],
        response_model=_answer_model(kind, route),
        responses={202: {"model": SyncQueued}, **ERRORS},
        name=f"sync_{kind.name}",
        summary=f"Sync one {kind.name}",
    )


for _kind in kinds():
    if _kind.route is not None:
        _add_manual_route(_kind, _kind.route)


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


class WebhookAccepted(CamelModel):
    status: str
    message: str
    invoice_id: int
    organization_id: int
    message_id: str


@router.post(
    "/webhook/invoice-created",
    status_code=202,
    response_model=WebhookAccepted,
    responses=errors(401, 403, 413, 422, 503),
)
async def invoice_created_webhook(
    payload: InvoiceCreatedWebhook,
    resources: ResourcesDep,
    verifier: Annotated[TokenVerifier, Depends(get_verifier)],
) -> WebhookAccepted:
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
    return WebhookAccepted(
        status="accepted",
        message="Invoice sync triggered",
        invoice_id=payload.invoice_id,
        organization_id=payload.organization_id,
        message_id=message_id,
    )
