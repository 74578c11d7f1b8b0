"""The Aforo stubs' control routes under ``/_stubs`` (no auth): seed, knobs, request log."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ValidationError

from qbo_emulator.aforo.schemas import (
    StubCreditNote,
    StubCustomer,
    StubInvoice,
    StubPayment,
    StubRatePlan,
    StubRefund,
    StubService,
    from_json,
    to_json,
)
from qbo_emulator.aforo.store import AforoStubStore, StubFailure

M = TypeVar("M", bound=BaseModel)


class _BadBody(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.response = Response(
            content='{"detail":' + detail + "}", status_code=422, media_type="application/json"
        )


async def _body(request: Request, model: type[M], *, id_alias: str, id_value: object) -> M:
    """A body in the real service's JSON shape; the id in the path wins over the body's."""
    try:
        data = from_json(await request.body())
    except ValueError:
        raise _BadBody('"body is not JSON"') from None
    if not isinstance(data, dict):
        raise _BadBody('"body must be a JSON object"')
    data[id_alias] = id_value
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _BadBody(exc.json(include_url=False, include_input=False)) from None


def _stored(value: BaseModel) -> Response:
    return Response(content=to_json(value), media_type="application/json")


def add_control_routes(router: APIRouter, store: AforoStubStore) -> None:
    @router.post("/_stubs/reset", status_code=204)
    async def reset() -> None:
        store.reset()

    @router.put("/_stubs/orgs/{org_id}/customers/{customer_id}")
    async def put_customer(request: Request, org_id: int, customer_id: int) -> Response:
        try:
            customer = await _body(
                request, StubCustomer, id_alias="customerId", id_value=customer_id
            )
        except _BadBody as bad:
            return bad.response
        store.put_customer(org_id, customer)
        return _stored(customer)

    @router.put("/_stubs/invoices/{invoice_id}")
    async def put_invoice(request: Request, invoice_id: int) -> Response:
        try:
            invoice = await _body(request, StubInvoice, id_alias="id", id_value=invoice_id)
        except _BadBody as bad:
            return bad.response
        store.put_invoice(invoice)
        return _stored(invoice)

    @router.put("/_stubs/rateplans/{rate_plan_id}")
    async def put_rate_plan(request: Request, rate_plan_id: int) -> Response:
        try:
            plan = await _body(request, StubRatePlan, id_alias="ratePlanId", id_value=rate_plan_id)
        except _BadBody as bad:
            return bad.response
        store.put_rate_plan(plan)
        return _stored(plan)

    @router.put("/_stubs/payments/{payment_id:path}")
    async def put_payment(request: Request, payment_id: str) -> Response:
        try:
            payment = await _body(request, StubPayment, id_alias="id", id_value=payment_id)
        except _BadBody as bad:
            return bad.response
        store.put_payment(payment)
        return _stored(payment)

    @router.put("/_stubs/credit-notes/{credit_note_id}")
    async def put_credit_note(request: Request, credit_note_id: int) -> Response:
        try:
            note = await _body(request, StubCreditNote, id_alias="id", id_value=credit_note_id)
        except _BadBody as bad:
            return bad.response
        store.put_credit_note(note)
        return _stored(note)

    @router.put("/_stubs/refunds/{refund_id:path}")
    async def put_refund(request: Request, refund_id: str) -> Response:
        try:
            refund = await _body(request, StubRefund, id_alias="id", id_value=refund_id)
        except _BadBody as bad:
            return bad.response
        store.put_refund(refund)
        return _stored(refund)

    @router.post("/_stubs/invoices/{invoice_id}/not-ready", status_code=204)
    async def not_ready(invoice_id: int, count: Annotated[int, Query(ge=0)] = 1) -> None:
        """The next ``count`` reads of the invoice answer 404, like metering before its commit."""
        store.not_ready[invoice_id] = count

    @router.post("/_stubs/fail", status_code=204)
    async def fail(
        service: StubService,
        status: Annotated[int, Query(ge=400, le=599)] = 503,
        count: Annotated[int, Query(ge=0)] = 1,
    ) -> None:
        """The next ``count`` requests to ``service`` answer ``status`` (before auth)."""
        store.failures[service] = StubFailure(status=status, remaining=count)

    @router.get("/_stubs/requests")
    async def requests(service: StubService | None = None) -> Response:
        logged = [r for r in store.requests if service is None or r.service == service]
        return Response(content=to_json(logged), media_type="application/json")

    @router.delete("/_stubs/requests", status_code=204)
    async def clear_requests() -> None:
        store.requests.clear()
