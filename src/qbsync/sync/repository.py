"""Named queries for mappings and sync-log rows; all sync SQL lives here.

The statements a sync runs for every record are built once, with bound parameters: built
per call, SQLAlchemy spent more time constructing them and computing their cache keys
than the database spent running them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    Row,
    RowMapping,
    String,
    and_,
    bindparam,
    false,
    func,
    or_,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.sqltypes import NullType

from qbsync.connections import repository as connections
from qbsync.connections.models import QuickBooksConnection
from qbsync.db import direct
from qbsync.db.base import detached, table_of, utcnow
from qbsync.db.locks import (
    lock_key,
    lock_until_commit,
    poll_until_commit,
    try_lock_until_commit,
)
from qbsync.db.shared import SharedSession, shared
from qbsync.quickbooks.batching import stepping_aside
from qbsync.quickbooks.schemas.base import QboEntity
from qbsync.snapshots import repository as snapshots
from qbsync.sync.models import Mapping, SyncLog, SyncStatus

# The payload hash a voided invoice's mapping keeps (see sync/invoices.py).
VOIDED = "void"


def lock_name(organization_id: int, entity_type: str, aforo_id: str) -> str:
    return f"{organization_id}:{entity_type}:{aforo_id}"


# How long a sync sharing its group's transaction waits for a record's lock held by another
# transaction (db/shared.py): past it, the sync fails retryably (RecordBusy) and the group's
# other members go on. Bounded: the other transaction may be a group waiting on this one
# (two bursts of invoices creating a customer each of them needs), which nothing else
# breaks. Not shorter: the usual holder is an invoice alone that created its plan's item
# and waits its turn at the realm's rate before its own create commits (a second or more
# while the realm is at its limit); giving up first costs a retry and, worse, the burst's
# full batch request.
SHARED_LOCK_WAIT_S = 5.0


async def lock_entity(
    session: AsyncSession, *, organization_id: int, entity_type: str, aforo_id: str
) -> None:
    """Serialize work on one entity across every instance until the transaction ends."""
    name = lock_name(organization_id, entity_type, aforo_id)
    group = shared(session)
    if group is not None:
        await _lock_in_group(group, name)
        return
    if await try_lock_until_commit(session, name):
        return
    # Held by another sync until it commits: a batch of creates this sync takes part in
    # must not wait for it meanwhile (that holder may be waiting on the batch).
    with stepping_aside():
        await lock_until_commit(session, name)


async def _lock_in_group(group: SharedSession, name: str) -> None:
    """The lock for a member of a shared transaction: first from the group's other members
    (held until that member's attempt on the record is over; its writes are then visible
    here), then from other transactions."""
    while (holder := group.holder(name)) is not None:
        with stepping_aside():
            await group.wait_for_holder(holder, name)
    group.claim(name)
    if await try_lock_until_commit(group, name):
        return
    with stepping_aside():
        await poll_until_commit(group, name, timeout_s=SHARED_LOCK_WAIT_S)


_CONNECTION_AND_LOCK = direct.Direct(
    connections.READ_CONNECTION.add_columns(
        func.pg_try_advisory_xact_lock(bindparam("lock_key")).label("locked")
    )
)
_CONNECTION = direct.Direct(connections.READ_CONNECTION.add_columns(false().label("locked")))


async def connection_and_lock(
    session: AsyncSession, *, organization_id: int, entity_type: str, aforo_id: str
) -> tuple[QuickBooksConnection | None, bool]:
    """The organization's connection and, in the same statement, the entity's lock when
    nobody holds it (True: taken; ``lock_entity`` then has nothing to do). No connection, no
    lock: such a sync only logs that it is not connected. In a shared transaction, a lock
    another member holds is not taken here (``lock_entity`` waits for that member)."""
    name = lock_name(organization_id, entity_type, aforo_id)
    group = shared(session)
    claimed = group is None or group.claim(name)
    if group is not None and ("connection", organization_id) in group.prepared:
        locked = claimed and group.prepared.pop(("locked", name), False)
        if claimed and not locked:
            group.unclaim(name)
        return group.prepared[("connection", organization_id)], locked
    params: dict[str, Any] = {"org": organization_id}
    if claimed:
        params["lock_key"] = lock_key(name)
    rows = await direct.fetch(session, _CONNECTION_AND_LOCK if claimed else _CONNECTION, params)
    row = rows[0] if rows else None
    locked = bool(row is not None and row["locked"])
    if group is not None and claimed and not locked:
        group.unclaim(name)
    return connections.connection_of(row), locked


_MAPPINGS = table_of(Mapping)
_LOG = table_of(SyncLog)


def _same_record(table: Any) -> Any:
    return and_(
        table.c.organization_id == bindparam("organization_id"),
        table.c.entity_type == bindparam("entity_type"),
        table.c.aforo_id == bindparam("aforo_id"),
    )


_MAPPING_OF_RECORD = and_(_same_record(_MAPPINGS), _MAPPINGS.c.realm_id == bindparam("realm_id"))
_GET_MAPPING = select(_MAPPINGS).where(_MAPPING_OF_RECORD)


def _build_get_mappings() -> direct.Direct:
    wanted = (
        func.unnest(
            bindparam("entity_types", type_=ARRAY(String)),
            bindparam("aforo_ids", type_=ARRAY(String)),
        )
        .table_valued("entity_type", "aforo_id")
        .render_derived(name="wanted")
    )
    return direct.Direct(
        select(_MAPPINGS)
        .join(
            wanted,
            and_(
                _MAPPINGS.c.entity_type == wanted.c.entity_type,
                _MAPPINGS.c.aforo_id == wanted.c.aforo_id,
            ),
        )
        .where(
            _MAPPINGS.c.organization_id == bindparam("organization_id"),
            _MAPPINGS.c.realm_id == bindparam("realm_id"),
        )
    )


_GET_MAPPINGS = _build_get_mappings()


_MAPPING_COLUMNS = tuple(column.key for column in _MAPPINGS.columns)


def _mapping_of(row: Row[Any] | None) -> Mapping | None:
    """A mapping read with Core (no identity map, no ORM loading): the sync reads it, never
    changes it through the ORM."""
    if row is None or row.id is None:
        return None
    return _mapping_from(row._mapping)


def _mapping_from(record: direct.Row | RowMapping) -> Mapping:
    """A mapping from a row by column name (``direct``'s rows, a Core row's ``_mapping``)."""
    return detached(Mapping, {key: record[key] for key in _MAPPING_COLUMNS})


async def get_mapping(
    session: AsyncSession, *, organization_id: int, realm_id: str, entity_type: str, aforo_id: str
) -> Mapping | None:
    rows = await session.execute(
        _GET_MAPPING,
        {
            "organization_id": organization_id,
            "realm_id": realm_id,
            "entity_type": entity_type,
            "aforo_id": aforo_id,
        },
    )
    return _mapping_of(rows.first())


_KNOWN_SINCE = select(
    or_(
        select(_MAPPINGS.c.id).where(_MAPPING_OF_RECORD).exists(),
        select(_LOG.c.id)
        .where(_same_record(_LOG), _LOG.c.created_at > bindparam("since"))
        .exists(),
    )
)


async def known_since(
    session: AsyncSession,
    *,
    organization_id: int,
    realm_id: str,
    entity_type: str,
    aforo_id: str,
    since: datetime,
) -> bool:
    """Whether QuickBooks holds the record for the organization (a mapping), or an attempt
    on it was logged after ``since``, a skipped one included (the void of an invoice never
    synced leaves nothing else)."""
    known = await session.scalar(
        _KNOWN_SINCE,
        {
            "organization_id": organization_id,
            "realm_id": realm_id,
            "entity_type": entity_type,
            "aforo_id": aforo_id,
            "since": since,
        },
    )
    return bool(known)


async def get_mappings(
    session: AsyncSession,
    *,
    organization_id: int,
    realm_id: str,
    records: Sequence[tuple[str, str]],
) -> dict[tuple[str, str], Mapping | None]:
    """Several records' mappings in one query, by (entity type, Aforo id); None: not mapped."""
    found: dict[tuple[str, str], Mapping | None] = dict.fromkeys(records)
    if records:
        rows = await direct.fetch(
            session,
            _GET_MAPPINGS,
            {
                "organization_id": organization_id,
                "realm_id": realm_id,
                "entity_types": [entity_type for entity_type, _ in records],
                "aforo_ids": [aforo_id for _, aforo_id in records],
            },
        )
        for row in rows:
            found[(row["entity_type"], row["aforo_id"])] = _mapping_from(row)
    return found


@dataclass(frozen=True)
class LatestAttempt:
    """The newest attempt on a record that was not itself skipped."""

    id: int
    status: str
    error_code: str | None
    correlation_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class RecordState:
    """What an attempt needs to know of its record, read in one query once it holds the
    record's lock: its mapping, its latest decisive attempt, and how many of its writes
    QuickBooks refused (the ``requestid`` generation, see writes.write_key)."""

    mapping: Mapping | None
    latest: LatestAttempt | None
    refused_writes: int


def _refused(same: Any) -> Any:
    """The record's writes QuickBooks refused (failed with a numeric fault code)."""
    return select(func.count().label("refused_writes")).where(
        same, _LOG.c.status == SyncStatus.FAILED, _LOG.c.error_code.regexp_match("^[0-9]+$")
    )


def _latest(same: Any) -> Any:
    """The record's newest attempt that was not skipped."""
    return (
        select(
            _LOG.c.id.label("latest_id"),
            _LOG.c.status.label("latest_status"),
            _LOG.c.error_code.label("latest_error_code"),
            _LOG.c.correlation_id.label("latest_correlation_id"),
            _LOG.c.created_at.label("latest_created_at"),
        )
        .where(same, _LOG.c.status != SyncStatus.SKIPPED)
        .order_by(_LOG.c.id.desc())
        .limit(1)
    )


def _build_record_state() -> Any:
    refused = _refused(_same_record(_LOG)).scalar_subquery()
    latest = _latest(_same_record(_LOG)).subquery("latest")
    record = select(refused.label("refused_writes")).subquery("record")  # always one row
    return select(record, latest, _MAPPINGS).select_from(
        record.outerjoin(latest, true()).outerjoin(_MAPPINGS, _MAPPING_OF_RECORD)
    )


_RECORD_STATE = _build_record_state()


async def record_state(
    session: AsyncSession, *, organization_id: int, realm_id: str, entity_type: str, aforo_id: str
) -> RecordState:
    group = shared(session)
    if group is not None:
        state = group.prepared.pop(
            ("state", organization_id, realm_id, entity_type, aforo_id), None
        )
        if state is not None:
            return state  # type: ignore[no-any-return]
    row = (
        await session.execute(
            _RECORD_STATE,
            {
                "organization_id": organization_id,
                "realm_id": realm_id,
                "entity_type": entity_type,
                "aforo_id": aforo_id,
            },
        )
    ).one()
    return _state_of(row._mapping)


def _state_of(row: direct.Row | RowMapping) -> RecordState:
    """A record's state from a row by column name (``direct``'s rows, a Core row's
    ``_mapping``)."""
    latest = None
    if row["latest_id"] is not None:
        latest = LatestAttempt(
            row["latest_id"],
            row["latest_status"],
            row["latest_error_code"],
            row["latest_correlation_id"],
            row["latest_created_at"],
        )
    mapping = None if row["id"] is None else _mapping_from(row)
    return RecordState(mapping, latest, int(row["refused_writes"]))


def _build_group_locks() -> Any:
    keys = (
        func.unnest(bindparam("lock_keys", type_=ARRAY(BigInteger)))
        .table_valued("key")
        .render_derived(name="record_lock")
    )
    locked = select(func.array_agg(keys.c.key)).where(func.pg_try_advisory_xact_lock(keys.c.key))
    log_ids = select(
        func.array_agg(func.nextval(func.pg_get_serial_sequence(_LOG.name, _LOG.c.id.name)))
    ).select_from(func.generate_series(1, bindparam("count", type_=Integer)))
    # Lists of integers as the driver gives them: no conversion of SQLAlchemy's to run.
    return connections.READ_CONNECTION.add_columns(
        type_coerce(locked.scalar_subquery(), NullType()).label("locked_keys"),
        type_coerce(log_ids.scalar_subquery(), NullType()).label("log_ids"),
    )


def _build_record_states() -> Any:
    """``_RECORD_STATE`` for several records of one kind at once."""
    record = (
        func.unnest(bindparam("aforo_ids", type_=ARRAY(String)))
        .table_valued("aforo_id")
        .render_derived(name="record")
    )
    same = and_(
        _LOG.c.organization_id == bindparam("organization_id"),
        _LOG.c.entity_type == bindparam("entity_type"),
        _LOG.c.aforo_id == record.c.aforo_id,
    )
    refused = _refused(same).lateral("refused")
    latest = _latest(same).lateral("latest")
    mapping = and_(
        _MAPPINGS.c.organization_id == bindparam("organization_id"),
        _MAPPINGS.c.realm_id == bindparam("realm_id"),
        _MAPPINGS.c.entity_type == bindparam("entity_type"),
        _MAPPINGS.c.aforo_id == record.c.aforo_id,
    )
    return select(
        record.c.aforo_id.label("record_aforo_id"), refused.c.refused_writes, latest, _MAPPINGS
    ).select_from(
        record.join(refused, true()).outerjoin(latest, true()).outerjoin(_MAPPINGS, mapping)
    )


_GROUP_LOCKS = direct.Direct(_build_group_locks())
_RECORD_STATES = direct.Direct(_build_record_states())


async def prepare_group(
    group: SharedSession, *, organization_id: int, entity_type: str, aforo_ids: Sequence[str]
) -> None:
    """What each member of a group (records of one organization and kind) reads first, read
    for all of them in two statements: the connection with each record's lock, then the
    records' states; and a sync-log id for each record's row (``sync_log.write``). A
    member finds them in ``group.prepared``; a record whose lock another transaction held
    is left to its member (``lock_entity``), as is everything of an organization that is
    not connected."""
    names = {lock_key(lock_name(organization_id, entity_type, a)): a for a in aforo_ids}
    rows = await direct.fetch(
        group,
        _GROUP_LOCKS,
        {"org": organization_id, "lock_keys": list(names), "count": len(aforo_ids)},
    )
    row = rows[0] if rows else None
    connection = connections.connection_of(row)
    if row is None or connection is None:
        return
    group.prepared[("connection", organization_id)] = connection
    locked = [names[key] for key in row["locked_keys"] or ()]
    for aforo_id, log_id in zip(locked, row["log_ids"], strict=False):
        group.prepared[("locked", lock_name(organization_id, entity_type, aforo_id))] = True
        group.prepared[("log_id", organization_id, entity_type, aforo_id)] = log_id
    if not locked:
        return
    realm_id = connection.realm_id
    rows = await direct.fetch(
        group,
        _RECORD_STATES,
        {
            "organization_id": organization_id,
            "realm_id": realm_id,
            "entity_type": entity_type,
            "aforo_ids": locked,
        },
    )
    for state_row in rows:
        key = ("state", organization_id, realm_id, entity_type, state_row["record_aforo_id"])
        group.prepared[key] = _state_of(state_row)


async def find_by_quickbooks_id(
    session: AsyncSession, *, realm_id: str, entity_type: str, quickbooks_id: str
) -> Mapping | None:
    result: Mapping | None = await session.scalar(
        select(Mapping).where(
            Mapping.realm_id == realm_id,
            Mapping.entity_type == entity_type,
            Mapping.quickbooks_id == quickbooks_id,
        )
    )
    return result


def _build_save_mapping() -> Any:
    new = insert(_MAPPINGS)  # the columns: the parameters' names
    return new.on_conflict_do_update(
        index_elements=["organization_id", "realm_id", "entity_type", "aforo_id"],
        set_={
            "quickbooks_id": new.excluded.quickbooks_id,
            "sync_token": new.excluded.sync_token,
            "payload_hash": new.excluded.payload_hash,
            "sync_version": _MAPPINGS.c.sync_version + 1,
            "last_synced_at": new.excluded.last_synced_at,
            "updated_at": new.excluded.updated_at,
        },
    )


_SAVE_MAPPING = direct.Direct(_build_save_mapping())
# The same, with the written record's snapshot in the same statement.
_SAVE_MAPPING_AND_SNAPSHOT = direct.Direct(
    _build_save_mapping().add_cte(snapshots.UPSERT.cte("snapshot"))
)


async def save_mapping(
    session: AsyncSession,
    *,
    organization_id: int,
    realm_id: str,
    entity_type: str,
    aforo_id: str,
    quickbooks_id: str,
    sync_token: str | None,
    payload_hash: str | None,
    snapshot: QboEntity | None = None,
) -> None:
    """Insert or update the mapping; every write bumps ``sync_version``. ``snapshot``: the
    record as QuickBooks answered the write, kept with it (snapshots.save)."""
    now = utcnow()
    kept = {}
    if snapshot is not None:
        kept = snapshots.upsert_params(realm_id=realm_id, entity_type=entity_type, entity=snapshot)
    await direct.execute(
        session,
        _SAVE_MAPPING if snapshot is None else _SAVE_MAPPING_AND_SNAPSHOT,
        kept
        | {
            "organization_id": organization_id,
            "realm_id": realm_id,
            "entity_type": entity_type,
            "aforo_id": aforo_id,
            "quickbooks_id": quickbooks_id,
            "sync_token": sync_token,
            "payload_hash": payload_hash,
            "sync_version": 1,
            "last_synced_at": now,
            "created_at": now,
            "updated_at": now,
        },
    )


async def forget_written_payload(
    session: AsyncSession, *, organization_id: int, entity_type: str, aforo_id: str
) -> int:
    """The next sync of this record writes it even if it looks unchanged (a forced resync):
    its mappings forget the hash of what was last written. A voided invoice stays void."""
    result = await session.execute(
        update(Mapping)
        .where(
            Mapping.organization_id == organization_id,
            Mapping.entity_type == entity_type,
            Mapping.aforo_id == aforo_id,
            Mapping.payload_hash.is_distinct_from(VOIDED),
        )
        .values(payload_hash=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def list_mappings(
    session: AsyncSession,
    *,
    organization_id: int | None,
    entity_type: str | None,
    aforo_ids: tuple[str, ...] | None,
    quickbooks_id: str | None,
    limit: int,
) -> list[Mapping]:
    query = select(Mapping)
    if organization_id is not None:
        query = query.where(Mapping.organization_id == organization_id)
    if entity_type is not None:
        query = query.where(Mapping.entity_type == entity_type)
    if aforo_ids is not None:
        query = query.where(Mapping.aforo_id.in_(aforo_ids))
    if quickbooks_id is not None:
        query = query.where(Mapping.quickbooks_id == quickbooks_id)
    rows = await session.scalars(query.order_by(Mapping.id.desc()).limit(limit))
    return list(rows)
