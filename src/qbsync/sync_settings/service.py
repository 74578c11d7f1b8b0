"""Read and change an organization's mapping settings: checked against the company first,
saved on the connection row, every change logged with who made it."""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.connections import repository as connections
from qbsync.connections.models import QuickBooksConnection
from qbsync.connections.schemas import ConnectionSettings
from qbsync.connections.tokens import ensure_usable
from qbsync.errors import NotFound
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.sync.mappers.tax import rate_key
from qbsync.sync_settings import repository
from qbsync.sync_settings.choices import Choices, load_choices
from qbsync.sync_settings.errors import SettingsRefused
from qbsync.sync_settings.models import SettingsChange
from qbsync.sync_settings.validation import problems

log = logging.getLogger(__name__)


async def connection_of(session: AsyncSession, organization_id: int) -> QuickBooksConnection:
    connection = await connections.get_connection(session, organization_id)
    if connection is None:
        raise NotFound(
            f"organization {organization_id} has no QuickBooks connection",
            hint="connect QuickBooks first (GET /api/quickbooks/connect)",
        )
    return connection


def current(connection: QuickBooksConnection) -> ConnectionSettings:
    return ConnectionSettings.model_validate(connection.settings or {})


def _normalized_rates(settings: ConnectionSettings) -> ConnectionSettings:
    rates: dict[str, str] = {}
    for key, value in settings.tax_code_ids.items():
        try:
            rate = Decimal(key.strip().rstrip("%"))
        except InvalidOperation:
            raise SettingsRefused(
                f"taxCodeIds: {key!r} is not a tax rate in percent",
                hint='use keys like "20" or "8.5"',
            ) from None
        if not rate.is_finite() or rate < 0:
            raise SettingsRefused(f"taxCodeIds: {key!r} is not a tax rate in percent")
        rates[rate_key(rate)] = value
    return settings.model_copy(update={"tax_code_ids": rates})


def diff(before: ConnectionSettings, after: ConnectionSettings) -> dict[str, Any]:
    old = before.model_dump(mode="json", by_alias=True)
    new = after.model_dump(mode="json", by_alias=True)
    return {key: {"from": old[key], "to": new[key]} for key in new if old.get(key) != new[key]}


async def change(
    session: AsyncSession,
    qbo: QuickBooksClient,
    connection: QuickBooksConnection,
    wanted: ConnectionSettings,
    *,
    changed_by: str | None,
) -> tuple[ConnectionSettings, SettingsChange | None, Choices]:
    """Replace the settings with ``wanted`` once the company confirms every id in them."""
    ensure_usable(connection.organization_id, connection)
    wanted = _normalized_rates(wanted)
    choices = await load_choices(qbo)
    found = problems(wanted, choices)
    if found:
        raise SettingsRefused(
            "; ".join(found),
            hint="GET /api/quickbooks/settings/choices lists what this company holds",
        )
    before = current(connection)
    changes = diff(before, wanted)
    if not changes:
        return wanted, None, choices
    connection.settings = wanted.stored()
    row = await repository.add_change(
        session,
        organization_id=connection.organization_id,
        realm_id=connection.realm_id,
        changed_by=changed_by,
        changes=changes,
    )
    log.info(
        "sync settings changed",
        extra={"organization_id": connection.organization_id, "fields": sorted(changes)},
    )
    return wanted, row, choices
