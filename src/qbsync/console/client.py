"""The console's way to the API: the same routes every client uses, called in process with
the signed-in person's token, so authorization, validation and logging are the API's own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from json import loads
from typing import Any

import httpx
from starlette.types import ASGIApp

# Forwarded so that the API's log lines carry the console request's id.
_FORWARDED = ("x-request-id",)


class ApiError(Exception):
    """The API refused or failed; carries its ``{error, message, hint}`` body."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        self.status = status
        self.error = str(body.get("error") or "error")
        self.message = str(body.get("message") or f"the API answered {status}")
        self.hint = str(body["hint"]) if body.get("hint") else None
        super().__init__(self.message)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.status < 400


class ApiClient:
    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self._http = http
        self._token = token

    async def call(
        self,
        method: str,
        path: str,
        *,
        org: int | None = None,
        params: Mapping[str, str | int | None] | None = None,
        json: object = None,
    ) -> Answer:
        """Any answer, refusals included (a retry that failed again is news, not an error)."""
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        if org is not None:
            headers["X-Organization-Id"] = str(org)
        query = {k: str(v) for k, v in (params or {}).items() if v is not None and v != ""}
        response = await self._http.request(
            method, f"/api/quickbooks{path}", headers=headers, params=query, json=json
        )
        try:
            # Money stays exact on its way to the page (840.00, not 840.0).
            body = loads(response.content, parse_float=Decimal)
        except ValueError:
            body = {"message": response.text[:200]}
        return Answer(response.status_code, body if isinstance(body, dict) else {"items": body})

    async def text(
        self,
        method: str,
        path: str,
        *,
        org: int | None = None,
        params: Mapping[str, str | int | None] | None = None,
    ) -> tuple[int, str, Mapping[str, str]]:
        """A non-JSON answer (a CSV export): status, body and headers."""
        headers = {"Authorization": f"Bearer {self._token}"}
        if org is not None:
            headers["X-Organization-Id"] = str(org)
        query = {k: str(v) for k, v in (params or {}).items() if v is not None and v != ""}
        response = await self._http.request(
            method, f"/api/quickbooks{path}", headers=headers, params=query
        )
        return response.status_code, response.text, response.headers

    async def get(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """The body of a successful answer; an :class:`ApiError` otherwise."""
        return await self.act("GET", path, **kwargs)

    async def act(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        answer = await self.call(method, path, **kwargs)
        if not answer.ok:
            raise ApiError(answer.status, answer.body)
        return answer.body


@asynccontextmanager
async def api_client(
    app: ASGIApp, token: str, request_headers: Mapping[str, str]
) -> AsyncIterator[ApiClient]:
    forwarded = {name: request_headers[name] for name in _FORWARDED if name in request_headers}
    # An API failure is an answer (an error page), not an exception in the console request.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://qbsync.console", headers=forwarded, timeout=30
    ) as http:
        yield ApiClient(http, token)
