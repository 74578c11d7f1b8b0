"""What every Aforo client shares: the wire-model base, the GET with error mapping and retries."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, TypeVar

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel
from tenacity import RetryCallState

from qbsync.aforo.auth import AforoCredentials
from qbsync.aforo.errors import (
    AforoBadPayload,
    AforoError,
    AforoNotFound,
    AforoNotReady,
    AforoRejected,
    AforoService,
    AforoUnavailable,
)
from qbsync.http import is_retryable, retry_policy, with_retries

log = logging.getLogger(__name__)

T = TypeVar("T")

# GETs per call for an answer of "not there yet" (AforoNotReady).
NOT_READY_GETS = 2
# A Retry-After longer than this is not worth holding a consumer slot for; the message's
# delayed retry takes over instead.
MAX_RETRY_AFTER_S = 10.0


def _as_utc(value: datetime) -> datetime:
    # The Java services write Instants with "Z"; a zone-less value (LocalDateTime) is their UTC.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class AforoModel(BaseModel):
    """Wire models: snake_case in Python, camelCase on the wire, unknown fields ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
        frozen=True,
        coerce_numbers_to_str=True,
    )


@dataclass(frozen=True)
class AforoRetry:
    """Parameters of the shared retry policy for one client (tests shrink the waits)."""

    max_attempts: int = 4
    initial_s: float = 0.5
    max_backoff_s: float = 4.0
    max_delay_s: float = 10.0


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name} in JSON")


def decode_json(content: bytes) -> Any:
    """JSON with every fraction as Decimal, so money never passes through float."""
    return json.loads(content, parse_float=Decimal, parse_constant=_reject_constant)


def _retry_after_s(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if not (value.isascii() and value.isdigit()):
        return None
    return min(float(value), MAX_RETRY_AFTER_S)


def _worth_another_get(state: RetryCallState) -> bool:
    """Retryable failures are retried in the call; "not there yet" once only: metering's
    commit lands within milliseconds of its webhook, and an id it never had must stay cheap
    (the event's own delayed retries wait longer)."""
    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    if isinstance(error, AforoNotReady):
        return state.attempt_number < NOT_READY_GETS
    return error is not None and is_retryable(error)


class AforoServiceClient:
    """One Aforo service over a shared ``httpx.AsyncClient``.

    ``base_url`` is for a client shared by several services (no base URL of its own);
    leave it out when ``http`` already has the service's base URL.
    """

    service: ClassVar[AforoService]

    def __init__(
        self,
        http: httpx.AsyncClient,
        credentials: AforoCredentials,
        *,
        base_url: str | None = None,
        retry: AforoRetry | None = None,
    ) -> None:
        self._http = http
        self._credentials = credentials
        self._base_url = base_url.rstrip("/") if base_url else ""
        self._retry = retry or AforoRetry()

    async def _get(
        self,
        path: str,
        adapter: TypeAdapter[T],
        *,
        org_id: int,
        caller_token: str | None,
        what: str,
        params: dict[str, str] | None = None,
        not_found: type[AforoError] = AforoNotFound,
        owner: Callable[[T], int | None] | None = None,
    ) -> T:
        """GET and parse, retrying retryable failures (the call is idempotent).

        ``owner`` reads the organization a record belongs to: a record of another
        organization is answered exactly as a 404 is (same error, same retries), because
        metering serves any id to any token and nothing may tell the two apart.
        """
        retry = self._retry
        return await with_retries(
            lambda: retry_policy(
                max_attempts=retry.max_attempts,
                max_backoff_s=retry.max_backoff_s,
                max_delay_s=retry.max_delay_s,
                initial_s=retry.initial_s,
                retry=_worth_another_get,
            ),
            lambda: self._get_once(
                path,
                adapter,
                org_id=org_id,
                caller_token=caller_token,
                what=what,
                params=params,
                not_found=not_found,
                owner=owner,
            ),
        )

    async def _get_once(
        self,
        path: str,
        adapter: TypeAdapter[T],
        *,
        org_id: int,
        caller_token: str | None,
        what: str,
        params: dict[str, str] | None,
        not_found: type[AforoError],
        owner: Callable[[T], int | None] | None = None,
    ) -> T:
        headers = self._credentials.headers_for(org_id, caller_token=caller_token)
        try:
            response = await self._http.get(self._base_url + path, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise AforoUnavailable(
                f"{what}: {self.service} service unreachable",
                service=self.service,
                hint=type(exc).__name__,
            ) from exc
        status = response.status_code
        if status >= 300:
            raise self._status_error(response, what=what, not_found=not_found)
        try:
            result = adapter.validate_python(decode_json(response.content))
        except (ValueError, ValidationError) as exc:
            # ValidationError is a ValueError; the hint names the first bad field only.
            hint = (
                f"{exc.error_count()} problem(s), first at {exc.errors()[0]['loc']}"
                if isinstance(exc, ValidationError)
                else "not JSON"
            )
            raise AforoBadPayload(
                f"{what}: unexpected answer from the {self.service} service",
                service=self.service,
                upstream_status=status,
                hint=hint,
            ) from None
        if owner is not None and owner(result) not in (None, org_id):
            raise not_found(f"{what}: not found", service=self.service, upstream_status=404)
        return result

    def _status_error(
        self, response: httpx.Response, *, what: str, not_found: type[AforoError]
    ) -> AforoError:
        status = response.status_code
        log.info(
            "aforo request failed",
            extra={"service": self.service, "status": status, "path": response.request.url.path},
        )
        if status == 404:
            return not_found(f"{what}: not found", service=self.service, upstream_status=status)
        if status in (408, 429) or status >= 500:
            return AforoUnavailable(
                f"{what}: {self.service} service answered {status}",
                service=self.service,
                upstream_status=status,
                retry_after_s=_retry_after_s(response),
            )
        return AforoRejected(
            f"{what}: {self.service} service refused with {status}",
            service=self.service,
            upstream_status=status,
        )
