"""The engine's entry points: ``sync`` one record of any registered kind (every trigger:
events, manual routes, the webhook, retries, backfills), and ``ensure`` the record another
one needs."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.connections import repository as connections
from qbsync.connections.tokens import ensure_usable
from qbsync.db.base import utcnow
from qbsync.errors import InvalidInput, QbsyncError
from qbsync.ids import AforoKey
from qbsync.sync import repository
from qbsync.sync.attempts import failure_status, record
from qbsync.sync.context import LogScope, SyncContext, SyncDeps
from qbsync.sync.errors import DependencyFailed
from qbsync.sync.models import SyncAction, SyncTrigger
from qbsync.sync.registry import Details, Kind, get, parse_aforo_id
from qbsync.sync.results import SyncResult


@dataclass(frozen=True)
class SyncOptions:
    trigger: SyncTrigger = SyncTrigger.MANUAL
    correlation_id: str | None = None
    caller_token: str | None = field(default=None, repr=False)
    attempt: int = 1
    # Whether a failure will be retried by the caller (events): logged RETRYING, not FAILED.
    will_retry: bool = False


async def _context(
    session: AsyncSession,
    deps: SyncDeps,
    *,
    organization_id: int,
    entity_type: str,
    aforo_id: str,
    options: SyncOptions,
) -> SyncContext | SyncResult:
    connection, locked = await repository.connection_and_lock(
        session, organization_id=organization_id, entity_type=entity_type, aforo_id=aforo_id
    )
    try:
        usable = ensure_usable(organization_id, connection)
    except QbsyncError as error:
        scope = LogScope(
            organization_id,
            connection.realm_id if connection else None,
            options.trigger,
            options.attempt,
            options.correlation_id,
        )
        status = failure_status(error, will_retry=False)
        entry = await record(
            session,
            scope,
            entity_type=entity_type,
            aforo_id=aforo_id,
            status=status,
            action=SyncAction.SKIP,
            error=error,
        )
        return SyncResult(
            entity_type,
            aforo_id,
            status,
            SyncAction.SKIP,
            None,
            entry.error_message or error.message,
            entry.id,
            error,
        )
    ctx = SyncContext(
        session=session,
        deps=deps,
        connection=usable,
        qbo=deps.quickbooks.client(organization_id=organization_id, realm_id=usable.realm_id),
        trigger=options.trigger,
        correlation_id=options.correlation_id,
        caller_token=options.caller_token,
        attempt=options.attempt,
        will_retry=options.will_retry,
    )
    if locked:
        ctx.locked(entity_type, aforo_id)
    return ctx


async def sync(
    session: AsyncSession,
    deps: SyncDeps,
    *,
    organization_id: int,
    kind: str | Kind,
    aforo_id: object,
    options: SyncOptions = SyncOptions(),
    details: Details | None = None,
) -> SyncResult:
    """Sync one record of ``kind`` (``"invoice"``, ``"INVOICE"``) named by its Aforo id
    (``42``, ``"42"`` or ``"invoice-42"``), in the caller's unit of work. ``details`` are
    what the trigger already knows of the record (a payment event's facts); without them
    the kind reads Aforo. Raises ``InvalidInput`` for an id or kind that cannot be synced."""
    found, key = parse_aforo_id(kind, aforo_id)
    ctx = await _context(
        session,
        deps,
        organization_id=organization_id,
        entity_type=found.entity_type,
        aforo_id=found.aforo_id(key),
        options=options,
    )
    if isinstance(ctx, SyncResult):
        return ctx  # not connected: logged as such, nothing else to do
    result = await found.sync(ctx, key, details)
    if result.error is None:
        await connections.note_sync(session, organization_id, at=utcnow())
    return result


async def ensure_all(ctx: SyncContext, *needs: tuple[str | Kind, AforoKey]) -> list[str]:
    """``ensure`` for each record, their mappings read in one query."""
    found = [(get(kind), key) for kind, key in needs]
    await ctx.read_mappings([(kind.entity_type, kind.aforo_id(key)) for kind, key in found])
    return [await ensure(ctx, kind, key) for kind, key in found]


async def ensure(ctx: SyncContext, kind: str | Kind, key: AforoKey) -> str:
    """The QuickBooks id of a record another one needs, syncing it first when it has never
    been synced. ``DependencyFailed`` (as retryable as its cause) when it cannot be."""
    found = get(kind)
    aforo_id = found.aforo_id(key)
    mapping = await ctx.mapping(found.entity_type, aforo_id)
    if mapping is None:
        mapping = await ctx.after_another_unit(found.entity_type, aforo_id)
    if mapping is not None:
        return mapping.quickbooks_id
    result = await found.sync(ctx, key, None)
    if result.error is not None or result.quickbooks_id is None:
        cause = result.error or InvalidInput(f"the {found.name} was not synced")
        raise DependencyFailed(
            f"{found.name} {aforo_id} could not be synced: {cause.message}", cause=cause
        )
    return result.quickbooks_id
