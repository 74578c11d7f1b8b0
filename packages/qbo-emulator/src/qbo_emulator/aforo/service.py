"""``aforo_stub_router``: the stub services' routes, with HS256 service-JWT checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from fastapi import APIRouter, Request, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from joserfc.jwt import JWTClaimsRegistry

from qbo_emulator.aforo.control_routes import add_control_routes
from qbo_emulator.aforo.schemas import (
    StubRequest,
    StubService,
    to_json,
)
from qbo_emulator.aforo.store import AforoStubStore

# The tenant claims the Spring services try, in order (metering's JwtTenantFilter).
TENANT_CLAIMS = ("organizationId", "orgId", "tenantId", "organization_id", "org_id", "tenant")
# Spring's NimbusJwtDecoder default clock skew.
CLOCK_SKEW_S = 60


@dataclass(frozen=True)
class _Caller:
    claims: dict[str, Any]
    tenant: int | None


def _numeric(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _claim_org(claims: dict[str, Any]) -> int | None:
    return next(
        (n for n in (_numeric(claims.get(k)) for k in TENANT_CLAIMS) if n is not None), None
    )


def _verify(request: Request, key: OctKey) -> _Caller | None:
    """HS256 on the shared secret, exp/nbf with Spring's skew; no issuer or audience check."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        claims = jwt.decode(token.strip(), key, algorithms=["HS256"]).claims
        JWTClaimsRegistry(leeway=CLOCK_SKEW_S).validate(claims)
    except (JoseError, ValueError):
        return None
    # The header is read first and wins, as in the real services.
    header = _numeric(request.headers.get("X-Organization-Id"))
    return _Caller(claims=claims, tenant=header if header is not None else _claim_org(claims))


def _json(value: Any, status: int = 200) -> Response:
    return Response(content=to_json(value), status_code=status, media_type="application/json")


def _spring_error(status: int, message: str) -> Response:
    """The services' own error body; metering's 404s and 401s have an empty body instead."""
    body = {
        "timestamp": datetime.now(UTC),
        "status": status,
        "error": HTTPStatus(status).phrase,
        "message": message,
    }
    return _json(body, status)


def _empty(status: int) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(status_code=status, headers=headers)


def _injected(service: StubService, status: int) -> Response:
    if status in (401, 404) or (service == "metering" and status < 500):
        return _empty(status)
    return _spring_error(status, "injected failure")


_NO_TENANT = "organization id missing from header and token"


def aforo_stub_router(store: AforoStubStore, *, jwt_secret: str) -> APIRouter:
    key = OctKey.import_key(jwt_secret)
    router = APIRouter(include_in_schema=False)

    def serve(
        request: Request, service: StubService, answer: Callable[[_Caller], Response]
    ) -> Response:
        """Failure knob, then auth, then the answer; every request lands in the log."""
        caller: _Caller | None = None
        failure = store.take_failure(service)
        if failure is not None:
            response = _injected(service, failure)
        elif (caller := _verify(request, key)) is None:
            response = _empty(401)
        else:
            response = answer(caller)
        store.requests.append(
            StubRequest(
                service=service,
                method=request.method,
                path=request.url.path,
                query=dict(request.query_params),
                organization_header=request.headers.get("X-Organization-Id"),
                token_subject=caller.claims.get("sub") if caller else None,
                token_org_id=_claim_org(caller.claims) if caller else None,
                tenant=caller.tenant if caller else None,
                status=response.status_code,
            )
        )
        return response

    @router.get("/v1/api/customers")
    async def list_customers(request: Request, status: str | None = None) -> Response:
        def answer(caller: _Caller) -> Response:
            if caller.tenant is None:
                return _spring_error(500, _NO_TENANT)
            customers = store.customers.get(caller.tenant, {}).values()
            return _json([c for c in customers if status is None or c.status == status])

        return serve(request, "org", answer)

    @router.get("/v1/api/customers/{customer_id}")
    async def get_customer(request: Request, customer_id: int) -> Response:
        def answer(caller: _Caller) -> Response:
            if caller.tenant is None:
                return _spring_error(500, _NO_TENANT)
            customer = store.customers.get(caller.tenant, {}).get(customer_id)
            if customer is None:
                return _spring_error(404, f"Customer not found: {customer_id}")
            return _json(customer)

        return serve(request, "org", answer)

    @router.get("/api/invoices")
    async def list_invoices(request: Request) -> Response:
        def answer(caller: _Caller) -> Response:
            if caller.tenant is None:
                # Metering raises 401 here, and its RuntimeException handler makes it a 500.
                return _spring_error(500, _NO_TENANT)
            invoices = store.org_invoices(caller.tenant)
            return _json({"invoices": invoices, "numberOfInvoices": len(invoices)})

        return serve(request, "metering", answer)

    @router.get("/api/invoices/{invoice_id}")
    async def get_invoice(request: Request, invoice_id: int) -> Response:
        def answer(_caller: _Caller) -> Response:
            # Metering does not check the organization on this read: any valid token will do.
            invoice = store.invoices.get(invoice_id)
            if store.take_not_ready(invoice_id) or invoice is None:
                return _empty(404)
            return _json(invoice)

        return serve(request, "metering", answer)

    @router.get("/api/rateplans/{rate_plan_id}")
    async def get_rate_plan(request: Request, rate_plan_id: int) -> Response:
        def answer(caller: _Caller) -> Response:
            if caller.tenant is None:
                return _spring_error(500, _NO_TENANT)
            plan = store.rate_plans.get(rate_plan_id)
            if plan is None or plan.organization_id != caller.tenant:
                return _spring_error(404, f"Rate plan not found: {rate_plan_id}")
            return _json(plan.model_dump(exclude={"organization_id"}))

        return serve(request, "rateplan", answer)

    @router.get("/api/payments/{payment_id:path}")
    async def get_payment(request: Request, payment_id: str) -> Response:
        def answer(caller: _Caller) -> Response:
            if caller.tenant is None:
                return _spring_error(500, _NO_TENANT)
            payment = store.payments.get(payment_id)
            if payment is None or payment.organization_id != caller.tenant:
                return _spring_error(404, f"Payment not found: {payment_id}")
            return _json(payment)

        return serve(request, "payment", answer)

    @router.get("/api/credit-notes/{credit_note_id}")
    async def get_credit_note(request: Request, credit_note_id: int) -> Response:
        def answer(caller: _Caller) -> Response:
            note = store.credit_notes.get(credit_note_id)
            if note is None or note.organization_id != caller.tenant:
                return _empty(404)
            return _json(note)

        return serve(request, "metering", answer)

    @router.get("/api/refunds/{refund_id:path}")
    async def get_refund(request: Request, refund_id: str) -> Response:
        def answer(caller: _Caller) -> Response:
            if caller.tenant is None:
                return _spring_error(500, _NO_TENANT)
            refund = store.refunds.get(refund_id)
            if refund is None or refund.organization_id != caller.tenant:
                return _spring_error(404, f"Refund not found: {refund_id}")
            return _json(refund)

        return serve(request, "payment", answer)

    add_control_routes(router, store)
    return router
