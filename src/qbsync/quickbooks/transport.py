"""One QBO call done right: token, headers, limiter, retries, 401 refresh, faults, logging."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from qbsync.config import QuickBooksSettings
from qbsync.http import retry_policy, with_retries
from qbsync.metrics import QBO_LATENCY, QBO_REQUESTS, QBO_THROTTLED
from qbsync.quickbooks import wire
from qbsync.quickbooks.errors import (
    QuickBooksAuthError,
    QuickBooksError,
    QuickBooksThrottled,
    QuickBooksUnavailable,
    error_from_fault,
    intuit_tid_of,
    parse_fault,
)
from qbsync.quickbooks.faults import fault_from_json
from qbsync.quickbooks.limiter import RealmLimiter
from qbsync.quickbooks.reads import READ_PURPOSE, UNMETERED, ReadMeter, ReadPurpose, billable_kind

log = logging.getLogger(__name__)

JSON = "application/json"
TEXT = "application/text"
PDF = "application/pdf"

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]+$")


class TokenProvider(Protocol):
    """Access tokens for one realm (implemented by ``connections``)."""

    async def get_token(self) -> str: ...

    async def refresh(self, rejected_token: str) -> str:
        """A new token after QBO rejected ``rejected_token`` (single-flight per realm)."""
        ...


def check_request_id(request_id: str, *, max_length: int = 50) -> str:
    """QBO dedupes writes by ``requestid`` per realm: ≤ 50 characters (≤ 36 for batch)."""
    if not request_id or len(request_id) > max_length or not _REQUEST_ID.match(request_id):
        raise ValueError(
            f"requestid must be 1-{max_length} characters of [A-Za-z0-9._:-], got {request_id!r}"
        )
    return request_id


@dataclass(frozen=True)
class QboResponse:
    status_code: int
    content: bytes
    intuit_tid: str | None
    # The decoded JSON document (Decimal fractions); None for PDFs.
    document: Any = None


@dataclass(frozen=True)
class _Request:
    """One logical call: sent as is on every attempt (same requestid, same bytes)."""

    method: str
    path: str
    query: dict[str, str]
    body: bytes | None
    content_type: str | None
    accept: str
    # Billable reads this call stands for (0 for a write) and of which kind.
    reads: int
    read_kind: str | None
    purpose: ReadPurpose


@dataclass
class _CallState:
    """What one logical call remembers across its retries."""

    token: str | None = None
    refreshed: bool = False
    attempt: int = 0


class RealmTransport:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        realm_id: str,
        tokens: TokenProvider,
        settings: QuickBooksSettings,
        limiter: RealmLimiter,
        reads: ReadMeter = UNMETERED,
    ) -> None:
        self._http = http
        self._realm_id = realm_id
        self._tokens = tokens
        self._settings = settings
        self._limiter = limiter
        self._reads = reads
        self._base = f"{settings.base_url}/v3/company/{realm_id}"
        self.last_intuit_tid: str | None = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        accept: str = JSON,
        request_id: str | None = None,
        reads: int | None = None,
    ) -> QboResponse:
        """Send with retries; the same ``requestid`` goes out on every attempt.

        ``reads``: billable reads in a batch (its query items); other calls are classified
        by method and path. A billable call asks the read meter first and may be deferred.
        """
        query = {"minorversion": str(self._settings.minor_version), **(params or {})}
        if request_id is not None:
            query["requestid"] = request_id
        kind = billable_kind(method, path) if reads is None else ("query" if reads else None)
        count = (1 if kind else 0) if reads is None else reads
        purpose = READ_PURPOSE.get()
        if count:
            self._reads.admit(purpose)
        call = _Request(method, path, query, body, content_type, accept, count, kind, purpose)
        state = _CallState()
        settings = self._settings
        return await with_retries(
            lambda: retry_policy(
                max_attempts=settings.max_attempts, max_backoff_s=settings.max_backoff_s
            ),
            lambda: self._attempt(call, state),
        )

    async def _attempt(self, call: _Request, state: _CallState) -> QboResponse:
        state.attempt += 1
        if state.token is None:
            state.token = await self._tokens.get_token()
        try:
            return await self._exchange(call, state)
        except QuickBooksAuthError as exc:
            # One refresh per call: a second 401 with a fresh token is not a token problem.
            if not exc.is_token_problem or state.refreshed:
                raise
            state.refreshed = True
            state.token = await self._tokens.refresh(state.token)
            log.info("qbo token refreshed after 401", extra={"realm_id": self._realm_id})
            return await self._exchange(call, state)

    async def _exchange(self, call: _Request, state: _CallState) -> QboResponse:
        headers = {
            "Authorization": f"Bearer {state.token}",
            "Accept": call.accept,
            "User-Agent": self._settings.user_agent,
        }
        if call.content_type is not None:
            headers["Content-Type"] = call.content_type
        if call.path == "batch":
            await self._limiter.batch_turn()
        async with self._limiter:
            started = time.perf_counter()
            try:
                response = await self._http.request(
                    call.method,
                    f"{self._base}/{call.path}",
                    params=call.query,
                    content=call.body,
                    headers=headers,
                )
            except httpx.TransportError as exc:
                self._log(call, None, started, None, state, type(exc).__name__)
                kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
                raise QuickBooksUnavailable(
                    f"QuickBooks request {kind}: {type(exc).__name__}"
                ) from exc
        tid = intuit_tid_of(response.headers)
        if tid is not None:
            self.last_intuit_tid = tid
        self._log(call, response.status_code, started, tid, state, None)
        try:
            result = self._read(response, call.accept, tid)
        except QuickBooksThrottled as exc:
            QBO_THROTTLED.inc()
            if exc.retry_after_s is not None:
                # Honour the server's hint, but never let one header stall a worker for long.
                exc.retry_after_s = min(exc.retry_after_s, self._settings.max_backoff_s)
            self._limiter.on_throttled(exc.retry_after_s)
            raise
        self._limiter.on_success()
        if call.reads and call.read_kind is not None:
            # Intuit bills successful calls only; a retried read is billed once per success.
            self._reads.spent(call.read_kind, call.reads, call.purpose)
        return result

    def _read(self, response: httpx.Response, accept: str, tid: str | None) -> QboResponse:
        status, content = response.status_code, response.content
        if status >= 300:
            error = parse_fault(status, response.headers, content)
            raise error if error is not None else QuickBooksError(f"HTTP {status}")
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if accept != JSON and media != JSON:
            return QboResponse(status, content, tid)
        try:
            document = wire.loads(content)
        except ValueError:
            # A 200 that is not JSON: an XML Fault, or a proxy page. The write may or may not
            # have happened; a retry with the same requestid is safe either way.
            error = parse_fault(status, response.headers, content)
            raise error or QuickBooksUnavailable(
                "QuickBooks answered 200 with a body that is not JSON",
                intuit_tid=tid,
                http_status=status,
            ) from None
        fault = fault_from_json(document)
        if fault is not None:
            raise error_from_fault(fault, status=status, headers=response.headers)
        return QboResponse(status, content, tid, document)

    def _log(
        self,
        call: _Request,
        status: int | None,
        started: float,
        tid: str | None,
        state: _CallState,
        error: str | None,
    ) -> None:
        elapsed = time.perf_counter() - started
        # The entity segment, not the id: bounded label values.
        operation = f"{call.method} {call.path.split('/', 1)[0].split('?', 1)[0]}"
        QBO_REQUESTS.labels(
            operation, str(status) if status is not None else (error or "error")
        ).inc()
        QBO_LATENCY.labels(operation).observe(elapsed)
        if not log.isEnabledFor(logging.DEBUG):
            return
        # Ids and timings only: never the token, never a body.
        log.debug(
            "qbo request",
            extra={
                "method": call.method,
                "path": f"/v3/company/{self._realm_id}/{call.path}",
                "status": status,
                "duration_ms": round(elapsed * 1000, 1),
                "intuit_tid": tid,
                "realm_id": self._realm_id,
                "attempt": state.attempt,
                "error": error,
            },
        )
