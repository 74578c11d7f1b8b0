"""/api/quickbooks/settings: an organization's account and item mapping, the company's
choices for it, and the log of who changed what."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from qbsync.api.auth import PrincipalDep, TenantDep
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.connections.models import QuickBooksConnection
from qbsync.connections.schemas import ConnectionSettings
from qbsync.connections.tokens import ensure_usable
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.resources import Resources
from qbsync.sync_settings import repository, service
from qbsync.sync_settings.choices import Choices, load_choices

router = APIRouter(prefix="/api/quickbooks/settings", tags=["settings"])


class _Camel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, serialize_by_alias=True, validate_by_name=True
    )


class SettingsBody(ConnectionSettings):
    """The whole settings document (PUT replaces it; fields left out take their defaults)."""

    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, extra="forbid"
    )


class SettingsView(_Camel):
    organization_id: int
    realm_id: str
    company_name: str | None
    settings: dict[str, Any]
    # The fields this request changed (PUT only).
    changed: list[str] | None = None


class ChangeView(_Camel):
    id: int
    changed_at: datetime
    changed_by: str | None
    changes: dict[str, Any]


def _client(resources: Resources, connection: QuickBooksConnection) -> QuickBooksClient:
    usable = ensure_usable(connection.organization_id, connection)
    return resources.quickbooks.client(
        organization_id=usable.organization_id, realm_id=usable.realm_id
    )


def _view(
    connection: QuickBooksConnection, settings: ConnectionSettings, changed: list[str] | None = None
) -> SettingsView:
    return SettingsView(
        organization_id=connection.organization_id,
        realm_id=connection.realm_id,
        company_name=connection.company_name,
        settings=settings.model_dump(mode="json", by_alias=True),
        changed=changed,
    )


@router.get("", response_model=SettingsView, response_model_exclude_none=True)
async def get_settings(organization_id: TenantDep, session: SessionDep) -> SettingsView:
    connection = await service.connection_of(session, organization_id)
    return _view(connection, service.current(connection))


@router.put("", response_model=SettingsView, response_model_exclude_none=True)
async def put_settings(
    body: SettingsBody,
    organization_id: TenantDep,
    principal: PrincipalDep,
    session: SessionDep,
    resources: ResourcesDep,
) -> SettingsView:
    """Checked against the company (422 naming every field that does not fit), then saved
    and logged."""
    connection = await service.connection_of(session, organization_id)
    wanted = ConnectionSettings.model_validate(body.model_dump(by_alias=False))
    saved, row, _ = await service.change(
        session,
        _client(resources, connection),
        connection,
        wanted,
        changed_by=principal.subject,
    )
    return _view(connection, saved, sorted(row.changes) if row else [])


@router.get("/choices", response_model=Choices)
async def get_choices(
    organization_id: TenantDep, session: SessionDep, resources: ResourcesDep
) -> Choices:
    connection = await service.connection_of(session, organization_id)
    return await load_choices(_client(resources, connection))


@router.get("/changes", response_model=list[ChangeView])
async def get_changes(
    organization_id: TenantDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[ChangeView]:
    rows = await repository.list_changes(session, organization_id=organization_id, limit=limit)
    return [
        ChangeView(id=r.id, changed_at=r.changed_at, changed_by=r.changed_by, changes=r.changes)
        for r in rows
    ]
