"""How answers are spelled, shared by the route modules: camelCase models, exact-number JSON
(money keeps its digits), Java-style instants, and the operator views of a sync-log row, a
mapping and a parked message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, PlainSerializer, model_serializer
from pydantic.alias_generators import to_camel

from qbsync.quickbooks import wire


def iso_instant(value: datetime) -> str:
    """Java's ``Instant.toString`` form (``…Z``), which the UI hands to ``new Date()``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


Instant = Annotated[datetime, PlainSerializer(iso_instant)]


class ExactJSONResponse(JSONResponse):
    """JSON whose Decimals are numbers with their exact digits (``210.00``), never floats.

    FastAPI's encoder turns a Decimal into a float; the UI needs numbers (it calls
    ``toFixed`` and compares ``Balance === 0``), and money must not pick up binary noise."""

    def render(self, content: Any) -> bytes:
        return wire.dumps(content)


def exact_json(
    model: BaseModel, *, status_code: int = 200, exclude_none: bool = False
) -> ExactJSONResponse:
    return ExactJSONResponse(
        model.model_dump(mode="python", by_alias=True, exclude_none=exclude_none),
        status_code=status_code,
    )


class CamelModel(BaseModel):
    """Response bodies, spelled as the original service spelled them."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, serialize_by_alias=True
    )


class SparseModel(CamelModel):
    """An answer that carries only the fields it was given (a missing key is not a null)."""

    @model_serializer(mode="wrap")
    def _given(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        fields = type(self).model_fields
        given = {fields[name].alias or name for name in self.model_fields_set}
        return {key: value for key, value in data.items() if key in given}


class ConnectionStatusView(SparseModel):
    """GET /status: ``connected`` is always a boolean (the UI reads only that); the
    company's details only when there is a connection."""

    connected: bool
    organization_id: int
    status: str
    message: str
    realm_id: str | None = None
    company_name: str | None = None
    environment: str | None = None
    connected_since: str | None = None
    disconnected_at: str | None = None
    access_token_expires_at: str | None = None
    refresh_token_expires_at: str | None = None
    refresh_token_hard_expires_at: str | None = None
    last_sync_at: str | None = None


# A stored time as the operator routes have always answered it (Python's ISO form).
IsoTime = Annotated[datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str)]


class RowView(CamelModel):
    """A view read straight off a row's (or message's) attributes."""

    model_config = ConfigDict(from_attributes=True)


class SyncLogView(RowView):
    """One sync attempt (or operator action) as the operator routes show it."""

    id: int
    organization_id: int | None
    realm_id: str | None
    entity_type: str
    aforo_id: str
    quickbooks_id: str | None
    action: str
    status: str
    trigger: str
    attempt: int
    error_code: str | None
    error_category: str | None
    error_message: str | None
    intuit_tid: str | None
    duration_ms: int | None
    correlation_id: str | None
    created_at: IsoTime


class SyncLogDetail(SyncLogView):
    """One attempt with what was sent and answered (redacted when it was logged)."""

    request_payload: dict[str, Any] | None = None
    response_payload: dict[str, Any] | None = None


class MappingView(RowView):
    organization_id: int
    realm_id: str
    entity_type: str
    aforo_id: str
    quickbooks_id: str
    sync_token: str | None
    sync_version: int | None
    last_synced_at: IsoTime
    created_at: IsoTime


class ParkedView(RowView):
    """A parked message: why it was parked, what it was about, and a bounded excerpt."""

    message_id: str
    original_message_id: str | None
    correlation_id: str | None
    organization_id: int | None
    entity_type: str | None
    entity_id: str | None
    reason: str | None
    error_code: str | None
    error_category: str | None
    error_message: str | None
    parked_at: IsoTime | None
    attempts: int | None
    source_queue: str | None
    routing_key: str | None
    body_size: int | None
    body_excerpt: str | None
