"""Statements sent straight to the driver (db/direct.py) behave as ``session.execute``: same
transaction, same rows, same JSON handling, the same errors."""

from __future__ import annotations

import enum
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from sqlalchemy import Enum, bindparam, func, insert, literal, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from qbsync.db import direct
from qbsync.db.base import table_of, utcnow
from qbsync.db.shared import SharedSession
from qbsync.scheduler.execution import is_outage
from qbsync.scheduler.models import SentBatchItem
from qbsync.sync import repository
from qbsync.sync.models import SyncLog

REALM = "direct-realm"
_LOG = table_of(SyncLog)
_INSERT_LOG = direct.Direct(insert(_LOG))


def _log_row(org_id: int, log_id: int, payload: dict[str, object]) -> dict[str, object]:
    return {
        "id": log_id,
        "organization_id": org_id,
        "realm_id": REALM,
        "entity_type": "CUSTOMER",
        "aforo_id": str(log_id),
        "action": "CREATE",
        "status": "SUCCESS",
        "trigger": "EVENT",
        "attempt": 1,
        "request_payload": payload,
        "created_at": utcnow(),
    }


async def _save(session: AsyncSession, org_id: int, aforo_id: str, qbo_id: str) -> None:
    await repository.save_mapping(
        session,
        organization_id=org_id,
        realm_id=REALM,
        entity_type="CUSTOMER",
        aforo_id=aforo_id,
        quickbooks_id=qbo_id,
        sync_token="0",
        payload_hash="h",
    )


async def _customers(
    session: AsyncSession, org_id: int, *aforo_ids: str
) -> dict[tuple[str, str], repository.Mapping | None]:
    return await repository.get_mappings(
        session,
        organization_id=org_id,
        realm_id=REALM,
        records=[("CUSTOMER", aforo_id) for aforo_id in aforo_ids],
    )


async def _mapped(sessionmaker: async_sessionmaker[AsyncSession], org_id: int) -> list[str]:
    async with sessionmaker() as session:
        found = await _customers(session, org_id, "1", "2", "3")
    return sorted(m.quickbooks_id for m in found.values() if m is not None)


async def test_direct_writes_are_in_the_sessions_transaction(
    sessionmaker: async_sessionmaker[AsyncSession], org_id: int
) -> None:
    async with sessionmaker() as session, session.begin():
        await _save(session, org_id, "1", "Q1")
        # The ORM's own statements on the session see it: one connection, one transaction.
        seen = await session.scalar(
            select(func.count())
            .select_from(table_of(repository.Mapping))
            .where(table_of(repository.Mapping).c.organization_id == org_id)
        )
        assert seen == 1
        await session.rollback()
    assert await _mapped(sessionmaker, org_id) == []

    async with sessionmaker() as session, session.begin():
        await _save(session, org_id, "1", "Q1")
        await _save(session, org_id, "1", "Q1b")  # the upsert: one row, updated
        await _save(session, org_id, "2", "Q2")
    assert await _mapped(sessionmaker, org_id) == ["Q1b", "Q2"]


async def test_each_transaction_of_a_session_runs_on_its_own_connection(
    sessionmaker: async_sessionmaker[AsyncSession], org_id: int
) -> None:
    backend = direct.Direct(select(func.pg_backend_pid().label("pid")))
    async with sessionmaker() as session:
        await session.begin()
        (first,) = await direct.fetch(session, backend, {})
        await (await session.connection()).invalidate()  # closed: the next takes another
        await session.rollback()
        async with session.begin():
            await _save(session, org_id, "2", "Q2")
            (second,) = await direct.fetch(session, backend, {})
            assert second["pid"] == await session.scalar(select(func.pg_backend_pid()))
    assert first["pid"] != second["pid"]
    assert await _mapped(sessionmaker, org_id) == ["Q2"]


async def test_rows_read_directly_match_what_the_orm_reads(
    sessionmaker: async_sessionmaker[AsyncSession], org_id: int
) -> None:
    async with sessionmaker() as session, session.begin():
        await _save(session, org_id, "1", "Q1")
    async with sessionmaker() as session:
        found = await _customers(session, org_id, "1", "9")
        orm = await repository.get_mapping(
            session,
            organization_id=org_id,
            realm_id=REALM,
            entity_type="CUSTOMER",
            aforo_id="1",
        )
    assert found[("CUSTOMER", "9")] is None
    mapped = found[("CUSTOMER", "1")]
    assert mapped is not None
    assert orm is not None
    columns = [column.key for column in table_of(repository.Mapping).columns]
    assert {c: getattr(mapped, c) for c in columns} == {c: getattr(orm, c) for c in columns}
    assert mapped.last_synced_at.tzinfo is not None


async def test_executemany_in_a_shared_session_keeps_json_and_commits_with_the_group(
    sessionmaker: async_sessionmaker[AsyncSession], org_id: int
) -> None:
    base = org_id * 1000
    payload = {"DisplayName": 'Amy\u2019s "Bird"', "Amount": "12.50", "Lines": [1, None]}
    group = SharedSession(**sessionmaker.kw)
    async with group, group.begin():
        group.defer(_INSERT_LOG, _log_row(org_id, base + 1, payload))
        group.defer(_INSERT_LOG, _log_row(org_id, base + 2, {}))
        await group.flush_deferred()
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                select(_LOG.c.id, _LOG.c.request_payload)
                .where(_LOG.c.organization_id == org_id)
                .order_by(_LOG.c.id)
            )
        ).all()
    assert [(row.id, row.request_payload) for row in rows] == [
        (base + 1, payload),
        (base + 2, {}),
    ]


async def _log_ids(sessionmaker: async_sessionmaker[AsyncSession], org_id: int) -> list[int]:
    async with sessionmaker() as session:
        found = await session.scalars(
            select(_LOG.c.id).where(_LOG.c.organization_id == org_id).order_by(_LOG.c.id)
        )
        return list(found)


async def _insert_logs(
    unit: Callable[[AsyncEngine], AbstractAsyncContextManager[AsyncConnection]],
    engine: AsyncEngine,
    rows: list[dict[str, object]],
) -> None:
    async with unit(engine) as connection:
        for row in rows:
            await direct.executemany(connection, _INSERT_LOG, [row])


async def test_a_connections_transaction_commits_on_success_and_rolls_back_on_error(
    sessionmaker: async_sessionmaker[AsyncSession], org_id: int
) -> None:
    engine = direct.engine_of(sessionmaker)
    first, second = _log_row(org_id, org_id * 1000 + 1, {}), _log_row(org_id, org_id * 1000 + 2, {})
    await _insert_logs(direct.transaction, engine, [first])
    with pytest.raises(IntegrityError):
        await _insert_logs(direct.transaction, engine, [second, first])
    assert await _log_ids(sessionmaker, org_id) == [first["id"]]


async def test_autocommit_statements_commit_each_and_leave_the_pool_transactional(
    sessionmaker: async_sessionmaker[AsyncSession], org_id: int
) -> None:
    engine = direct.engine_of(sessionmaker)
    first, second = _log_row(org_id, org_id * 1000 + 1, {}), _log_row(org_id, org_id * 1000 + 2, {})
    with pytest.raises(IntegrityError):
        await _insert_logs(direct.autocommit, engine, [first, first])
    assert await _log_ids(sessionmaker, org_id) == [first["id"]]  # the first one stays
    # The same pooled connections serve sessions afterwards, in transactions as before.
    for _ in range(engine.pool.size() + 1):  # type: ignore[attr-defined]
        async with sessionmaker() as session:
            await direct.executemany(session, _INSERT_LOG, [second])
            await session.rollback()
    assert await _log_ids(sessionmaker, org_id) == [first["id"]]


async def test_a_constraint_fails_as_sqlalchemy_reports_it(
    sessionmaker: async_sessionmaker[AsyncSession], org_id: int
) -> None:
    row = _log_row(org_id, org_id * 1000 + 7, {})
    async with sessionmaker() as session:
        await direct.executemany(session, _INSERT_LOG, [row])
        with pytest.raises(IntegrityError) as raised:
            await direct.executemany(session, _INSERT_LOG, [row])
        await session.rollback()
    assert not is_outage(raised.value)


async def test_a_dropped_connection_is_an_outage(
    sessionmaker: async_sessionmaker[AsyncSession], org_id: int
) -> None:
    async with sessionmaker() as session:
        pid = await session.scalar(text("SELECT pg_backend_pid()"))
        async with sessionmaker() as other, other.begin():
            await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError) as raised:
            await _save(session, org_id, "1", "Q1")
        assert is_outage(raised.value)
        await session.invalidate()


async def test_a_column_left_to_a_python_default_is_refused_rather_than_written_null(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    sent = direct.Direct(insert(table_of(SentBatchItem)))
    row = {"realm_id": REALM, "request_id": "r-1", "batch_request_id": "b-1", "b_id": "1"}
    async with sessionmaker() as session:
        with pytest.raises(TypeError, match="sent_at"):
            await direct.executemany(session, sent, [row])


async def test_orm_changes_pending_in_the_session_are_flushed_first(
    sessionmaker: async_sessionmaker[AsyncSession], org_id: int
) -> None:
    async with sessionmaker() as session, session.begin():
        await _save(session, org_id, "1", "Q1")
        mapping = await repository.get_mapping(
            session, organization_id=org_id, realm_id=REALM, entity_type="CUSTOMER", aforo_id="1"
        )
        assert mapping is not None
        session.add(
            repository.Mapping(
                organization_id=org_id,
                realm_id=REALM,
                entity_type="CUSTOMER",
                aforo_id="2",
                quickbooks_id="Q2",
                sync_version=1,
            )
        )
        found = await _customers(session, org_id, "2")
    assert found[("CUSTOMER", "2")] is not None


class _Colour(enum.Enum):
    RED = "red"


async def test_a_column_sqlalchemy_would_convert_is_refused_rather_than_read_raw(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    colour = direct.Direct(select(literal("RED", type_=Enum(_Colour)).label("colour")))
    async with sessionmaker() as session:
        with pytest.raises(TypeError, match="colour"):
            await direct.fetch(session, colour, {})


async def test_a_parameter_left_out_is_an_error_not_a_null(
    sessionmaker: async_sessionmaker[AsyncSession], org_id: int
) -> None:
    row = _log_row(org_id, org_id * 1000 + 9, {})
    del row["aforo_id"]
    statement = direct.Direct(insert(_LOG).values({c: bindparam(c) for c in [*row, "aforo_id"]}))
    async with sessionmaker() as session:
        with pytest.raises(KeyError, match="aforo_id"):
            await direct.executemany(session, statement, [row])
