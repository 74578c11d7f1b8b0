"""Fault injection: queued one-shot faults, random error rates, withheld and dropped answers."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from qbo_emulator.config import ErrorRates, FaultKind


class FaultSpec(BaseModel):
    """Body of ``POST /_emulator/faults``: the next ``count`` matching requests fail as ``kind``."""

    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    realm_id: str | None = None
    method: str | None = None
    path_contains: str | None = None
    count: int = Field(default=1, ge=1)
    # Each request (its ``requestid``) is hit at most once: a retry of it goes through, as
    # after a real lost answer, and the count is spread over that many different writes.
    once_per_request: bool = False
    _hit: set[str] = PrivateAttr(default_factory=set)

    @field_validator("kind", mode="before")
    @classmethod
    def _stale_alias(cls, value: Any) -> Any:
        # The brief spells the SyncToken fault "stale(5010)"; accept both spellings.
        return "stale" if value in ("stale(5010)", "5010") else value

    def matches(
        self, *, realm_id: str | None, method: str, path: str, request_id: str | None = None
    ) -> bool:
        return (
            (self.realm_id is None or self.realm_id == realm_id)
            and (self.method is None or self.method.upper() == method.upper())
            and (self.path_contains is None or self.path_contains in path)
            and not (self.once_per_request and request_id is not None and request_id in self._hit)
        )

    def hit(self, request_id: str | None) -> None:
        self.count -= 1
        if self.once_per_request and request_id is not None:
            self._hit.add(request_id)


class FaultInjector:
    def __init__(self, seed: int | None = None) -> None:
        self._queue: list[FaultSpec] = []
        self._dice = random.Random(seed)

    def queue(self, spec: FaultSpec) -> None:
        self._queue.append(spec.model_copy())

    def pending(self) -> list[FaultSpec]:
        return [spec.model_copy() for spec in self._queue]

    def take(
        self,
        *,
        realm_id: str | None,
        method: str,
        path: str,
        request_id: str | None = None,
        named_only: bool = False,
    ) -> FaultKind | None:
        """The first queued fault matching this request, consuming one of its count.

        ``named_only``: only faults whose ``path_contains`` is set match (the token endpoint
        is hit only by faults aimed at it, never by catch-all API faults).
        """
        for spec in self._queue:
            if named_only and spec.path_contains is None:
                continue
            if spec.matches(realm_id=realm_id, method=method, path=path, request_id=request_id):
                spec.hit(request_id)
                if spec.count == 0:
                    self._queue.remove(spec)
                return spec.kind
        return None

    def roll(self, rates: ErrorRates, *, is_write: bool) -> FaultKind | None:
        """Throw the dice for each configured rate; lost_response only applies to writes."""
        candidates: list[tuple[FaultKind, float]] = [
            ("throttle", rates.throttle),
            ("http_503", rates.http_503),
            ("http_500", rates.http_500),
            ("timeout", rates.timeout),
        ]
        if is_write:
            candidates.append(("lost_response", rates.lost_response))
        for kind, rate in candidates:
            if rate > 0 and self._dice.random() < rate:
                return kind
        return None

    def reseed(self, seed: int | None) -> None:
        self._dice = random.Random(seed)

    def clear(self) -> None:
        self._queue.clear()


class ResponseDroppedError(Exception):
    """Raised on purpose after a partial answer so the server closes the connection."""


class DroppedResponse(Response):
    """Starts an answer, sends part of it and breaks off: the client sees a network error.

    uvicorn closes the connection when the app fails after the response has started; the
    emulator's server filters the resulting log line.
    """

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG002
        headers = [
            (b"content-type", b"application/json;charset=utf-8"),
            (b"content-length", b"4096"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"', "more_body": True})
        raise ResponseDroppedError("connection dropped by the emulator")


async def withhold(seconds: float, closing: threading.Event) -> None:
    """Sleep up to ``seconds``; wake early when the server is shutting down."""
    deadline = time.monotonic() + seconds
    while not closing.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        await asyncio.sleep(min(remaining, 0.05))
