"""How answers are spelled, shared by the route modules: camelCase models, exact-number JSON
(money keeps its digits), Java-style instants, and the operator views of a sync-log row, a
mapping and a parked message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, PlainSerializer, model_serializer
from pydantic.alias_generators import to_camel

from qbsync.events.parking import ParkedMessage
from qbsync.quickbooks import wire
from qbsync.sync.models import Mapping, SyncLog


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


class SyncLogView(CamelModel):
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
    created_at: str

    @classmethod
    def of(cls, row: SyncLog) -> SyncLogView:
        return cls(
            id=row.id,
            organization_id=row.organization_id,
            realm_id=row.realm_id,
            entity_type=row.entity_type,
            aforo_id=row.aforo_id,
            quickbooks_id=row.quickbooks_id,
            action=row.action,
            status=row.status,
            trigger=row.trigger,
            attempt=row.attempt,
            error_code=row.error_code,
            error_category=row.error_category,
            error_message=row.error_message,
            intuit_tid=row.intuit_tid,
            duration_ms=row.duration_ms,
            correlation_id=row.correlation_id,
            created_at=row.created_at.isoformat(),
        )


class SyncLogDetail(SyncLogView):
    """One attempt with what was sent and answered (redacted when it was logged)."""

    request_payload: Any = None
    response_payload: Any = None

    @classmethod
    def of_row(cls, row: SyncLog) -> SyncLogDetail:
        return cls(
            **SyncLogView.of(row).model_dump(),
            request_payload=row.request_payload,
            response_payload=row.response_payload,
        )


class MappingView(CamelModel):
    organization_id: int
    realm_id: str
    entity_type: str
    aforo_id: str
    quickbooks_id: str
    sync_token: str | None
    sync_version: int | None
    last_synced_at: str
    created_at: str

    @classmethod
    def of(cls, row: Mapping) -> MappingView:
        return cls(
            organization_id=row.organization_id,
            realm_id=row.realm_id,
            entity_type=row.entity_type,
            aforo_id=row.aforo_id,
            quickbooks_id=row.quickbooks_id,
            sync_token=row.sync_token,
            sync_version=row.sync_version,
            last_synced_at=row.last_synced_at.isoformat(),
            created_at=row.created_at.isoformat(),
        )


class ParkedView(CamelModel):
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
    parked_at: str | None
    attempts: int | None
    source_queue: str | None
    routing_key: str | None
    body_size: int | None
    body_excerpt: str | None

    @classmethod
    def of(cls, message: ParkedMessage) -> ParkedView:
        return cls(
            message_id=message.message_id,
            original_message_id=message.original_message_id,
            correlation_id=message.correlation_id,
            organization_id=message.organization_id,
            entity_type=message.entity_type,
            entity_id=message.entity_id,
            reason=message.reason,
            error_code=message.error_code,
            error_category=message.error_category,
            error_message=message.error_message,
            parked_at=message.parked_at.isoformat() if message.parked_at else None,
            attempts=message.attempts,
            source_queue=message.source_queue,
            routing_key=message.routing_key,
            body_size=message.body_size,
            body_excerpt=message.body_excerpt,
        )
