"""A typed async wrapper around the Aforo stubs' ``/_stubs`` control routes (tests, bench)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from pydantic import TypeAdapter

from qbo_emulator.aforo.schemas import (
    StubCreditNote,
    StubCustomer,
    StubInvoice,
    StubPayment,
    StubRatePlan,
    StubRefund,
    StubRequest,
    StubService,
    from_json,
    to_json,
)

_REQUESTS = TypeAdapter(list[StubRequest])
_JSON = {"Content-Type": "application/json"}


class AforoStubControl:
    """Drives a running stub; raises ``httpx.HTTPStatusError`` when the stub refuses."""

    def __init__(self, base_url: str, http: httpx.AsyncClient) -> None:
        self._base_url = base_url.rstrip("/")
        self._http = http

    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: str | None = None,
        params: dict[str, str | int] | None = None,
    ) -> httpx.Response:
        response = await self._http.request(
            method,
            self._base_url + path,
            content=body,
            params=params,
            headers=_JSON if body is not None else None,
        )
        response.raise_for_status()
        return response

    async def reset(self) -> None:
        await self._send("POST", "/_stubs/reset")

    async def put_customer(self, org_id: int, customer: StubCustomer) -> None:
        path = f"/_stubs/orgs/{org_id}/customers/{customer.customer_id}"
        await self._send("PUT", path, body=to_json(customer))

    async def put_invoice(self, invoice: StubInvoice) -> None:
        await self._send("PUT", f"/_stubs/invoices/{invoice.id}", body=to_json(invoice))

    async def put_rate_plan(self, plan: StubRatePlan) -> None:
        await self._send("PUT", f"/_stubs/rateplans/{plan.rate_plan_id}", body=to_json(plan))

    async def put_payment(self, payment: StubPayment) -> None:
        path = f"/_stubs/payments/{quote(payment.id, safe='')}"
        await self._send("PUT", path, body=to_json(payment))

    async def put_credit_note(self, note: StubCreditNote) -> None:
        await self._send("PUT", f"/_stubs/credit-notes/{note.id}", body=to_json(note))

    async def put_refund(self, refund: StubRefund) -> None:
        path = f"/_stubs/refunds/{quote(refund.id, safe='')}"
        await self._send("PUT", path, body=to_json(refund))

    async def not_ready(self, invoice_id: int, *, count: int = 1) -> None:
        await self._send(
            "POST", f"/_stubs/invoices/{invoice_id}/not-ready", params={"count": count}
        )

    async def fail(self, service: StubService, *, status: int = 503, count: int = 1) -> None:
        params: dict[str, str | int] = {"service": service, "status": status, "count": count}
        await self._send("POST", "/_stubs/fail", params=params)

    async def requests(self, service: StubService | None = None) -> list[StubRequest]:
        params: dict[str, str | int] | None = None if service is None else {"service": service}
        response = await self._send("GET", "/_stubs/requests", params=params)
        return _REQUESTS.validate_python(from_json(response.content))

    async def clear_requests(self) -> None:
        await self._send("DELETE", "/_stubs/requests")
