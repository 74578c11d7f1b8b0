"""Everything qbsync can find out about one record in one call: its connection, mapping,
latest attempts and parked messages, whether QuickBooks and Aforo still have it, and the
verdict (``qbsync.sync.diagnosis``). A source that cannot be asked (RabbitMQ down, Aforo
refusing) is reported as unknown rather than failing the checklist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.aforo.errors import AforoError, AforoNotReady
from qbsync.connections import repository as connections
from qbsync.connections.models import ConnectionStatus, QuickBooksConnection
from qbsync.errors import QbsyncError
from qbsync.events.dead_letters import visible_parked
from qbsync.events.parking import ParkedMessage
from qbsync.quickbooks.errors import QuickBooksNotFound
from qbsync.resources import Resources
from qbsync.sync import repository, sync_log
from qbsync.sync.diagnosis import Diagnosis, ParkedFact, diagnose
from qbsync.sync.models import Mapping, SyncLog
from qbsync.sync.registry import Kind, parse_aforo_id


@dataclass(frozen=True)
class Checklist:
    organization_id: int
    kind: Kind
    aforo_id: str
    diagnosis: Diagnosis
    connection: QuickBooksConnection | None
    mapping: Mapping | None
    quickbooks: dict[str, Any]
    aforo: dict[str, Any]
    attempts: list[SyncLog]
    parked: list[ParkedMessage] | None  # None: the parking queue could not be read


async def _in_quickbooks(
    resources: Resources,
    connection: QuickBooksConnection | None,
    mapping: Mapping | None,
    kind: Kind,
) -> dict[str, Any]:
    if mapping is None or connection is None or connection.status != ConnectionStatus.ACTIVE:
        return {"checked": False, "exists": None}
    client = resources.quickbooks.client(
        organization_id=connection.organization_id, realm_id=connection.realm_id
    )
    try:
        record = await client.read(kind.quickbooks_model, mapping.quickbooks_id)
    except QuickBooksNotFound:
        return {"checked": True, "exists": False, "id": mapping.quickbooks_id}
    except QbsyncError as exc:
        return {"checked": False, "exists": None, "error": f"{exc.code}: {exc.message}"}
    active = getattr(record, "active", None)
    return {
        "checked": True,
        "exists": active is not False,
        "id": record.id,
        "syncToken": record.sync_token,
        "active": active,
    }


async def _in_aforo(
    resources: Resources, kind: Kind, key: int | str, organization_id: int, token: str | None
) -> dict[str, Any]:
    if kind.read is None:
        return {"exists": None}
    try:
        return await kind.read(resources.aforo, organization_id, key, token)
    except AforoNotReady as exc:
        # Metering answers 404 both before its commit and for ids it never had.
        return {"exists": False, "error": f"{exc.code}: {exc.message}"}
    except AforoError as exc:
        # Only a 404 says the record does not exist; a refusal or an outage says nothing.
        exists = False if exc.upstream_status == 404 else None
        return {"exists": exists, "error": f"{exc.code}: {exc.message}"}
    except QbsyncError as exc:
        return {"exists": None, "error": f"{exc.code}: {exc.message}"}


async def checklist(
    session: AsyncSession,
    resources: Resources,
    *,
    organization_id: int,
    entity_type: str,
    aforo_id: str,
    caller_token: str | None,
) -> Checklist:
    kind, key = parse_aforo_id(entity_type, aforo_id)
    full_id = kind.aforo_id(key)
    connection = await connections.get_connection(session, organization_id)
    mapping = (
        await repository.get_mapping(
            session,
            organization_id=organization_id,
            realm_id=connection.realm_id,
            entity_type=kind.entity_type,
            aforo_id=full_id,
        )
        if connection is not None
        else None
    )
    attempts = await sync_log.latest_logs_for(
        session, organization_id=organization_id, entity_type=kind.entity_type, aforo_id=full_id
    )
    try:
        parked: list[ParkedMessage] | None = [
            m
            for m in await visible_parked(resources, organization_id)
            if m.entity_type == kind.entity_type and m.entity_id == str(key)
        ]
    except QbsyncError:
        parked = None  # RabbitMQ is down: say so rather than fail the whole checklist
    quickbooks = await _in_quickbooks(resources, connection, mapping, kind)
    aforo = await _in_aforo(resources, kind, key, organization_id, caller_token)
    verdict = diagnose(
        connection=connection,
        mapping=mapping,
        attempts=attempts,
        parked=[
            ParkedFact(m.message_id, m.reason, m.error_code, m.parked_at) for m in parked or []
        ],
        exists_in_quickbooks=quickbooks["exists"] if quickbooks["checked"] else None,
        exists_in_aforo=aforo["exists"],
    )
    return Checklist(
        organization_id=organization_id,
        kind=kind,
        aforo_id=full_id,
        diagnosis=verdict,
        connection=connection,
        mapping=mapping,
        quickbooks=quickbooks,
        aforo=aforo,
        attempts=attempts,
        parked=parked,
    )
