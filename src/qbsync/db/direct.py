"""The few statements every synced record runs, sent straight to the driver.

SQLAlchemy's own work for one execution (its execution context, the statement's cache key,
the result's machinery, a greenlet switch: ≈ 200 to 250 µs of CPU here) is five times the
statement's whole round trip on asyncpg (≈ 45 µs), and it was a third of the worker's CPU
an event (docs/quickbooks-cost.md, "CPU per event"). ``Direct`` compiles a Core statement
once for the connection's dialect (per set of parameter names, as SQLAlchemy does for an
INSERT) and runs it on the asyncpg connection under the session's own transaction, through
the adapter's prepared-statement cache and with its bind processors (JSON), so rows and
errors are what ``session.execute`` would give: rows as mappings by column name, errors as
SQLAlchemy's ``DBAPIError`` family (an outage stays an outage, a constraint an
``IntegrityError``).

It leans on SQLAlchemy's asyncpg adapter (its execute mutex, lazy BEGIN, prepared
statements and error translation: private names, pinned by constraints.txt and exercised
by tests/db/test_direct.py), which is why it is kept to one module and a few statements.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

Row = Mapping[str, Any]
# Where a statement runs: a session's transaction, or a connection's (``transaction`` and
# ``autocommit`` below) for the scheduler's short units that need no ORM session.
Executor = AsyncSession | AsyncConnection


class Direct:
    """A Core statement, compiled on first use, run with ``fetch`` or ``executemany``."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[frozenset[str], _Compiled] = {}

    def compiled(self, executor: Executor, names: Sequence[str]) -> _Compiled:
        key = frozenset(names)
        found = self._compiled.get(key)
        if found is None:
            dialect = (
                executor.get_bind() if isinstance(executor, AsyncSession) else executor
            ).dialect
            compiled = self.statement.compile(dialect=dialect, column_keys=list(names))
            assert isinstance(compiled, SQLCompiler)
            if compiled.insert_prefetch or compiled.update_prefetch:
                # SQLAlchemy's execution fills these in; the driver would write NULL.
                unset = [c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
                raise TypeError(f"Direct statements take every defaulted column; missing {unset}")
            processed = [
                column.keyname
                for column in compiled._result_columns
                if column.type._cached_result_processor(dialect, None) is not None
            ]
            if processed:
                # The driver's values would reach the caller unconverted.
                raise TypeError(f"Direct statements read no converted types; got {processed}")
            found = self._compiled[key] = _Compiled(compiled)
        return found


class _Compiled:
    def __init__(self, compiled: SQLCompiler) -> None:
        self.sql = compiled.string
        # Per position: the parameter's name, the value it takes when the caller gives none
        # (a literal the statement carries, such as ``sync_version + 1``'s 1), and its bind
        # processor (JSON's serializer; no statement here binds a tuple).
        processors: Mapping[str, Callable[[Any], Any]] = compiled._bind_processors  # type: ignore[assignment]
        self.positions = [
            (name, compiled.binds[name].value, processors.get(name))
            for name in compiled.positiontup or ()
        ]
        self.required = {
            name for name in compiled.positiontup or () if compiled.binds[name].required
        }

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        if not self.required <= params.keys():
            raise KeyError(f"no value for {sorted(self.required - params.keys())}")
        out = []
        for name, default, processor in self.positions:
            value = params.get(name, default)
            out.append(processor(value) if processor is not None and value is not None else value)
        return out


async def fetch(executor: Executor, direct: Direct, params: Mapping[str, Any]) -> list[Row]:
    """The statement's rows (mappings by column name), in the executor's transaction."""
    statement = direct.compiled(executor, list(params))
    records = await _on_driver(executor, statement.sql, "fetch", *statement.args(params))
    return records  # type: ignore[no-any-return]


async def execute(executor: Executor, direct: Direct, params: Mapping[str, Any]) -> None:
    """``fetch`` for a statement whose rows nobody reads (a write without RETURNING)."""
    await fetch(executor, direct, params)


async def executemany(
    executor: Executor, direct: Direct, rows: Sequence[Mapping[str, Any]]
) -> None:
    """The statement once for each of ``rows``, one round trip per set of parameter names."""
    by_names: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        by_names.setdefault(tuple(row), []).append(row)
    for names, same in by_names.items():
        statement = direct.compiled(executor, names)
        args = [statement.args(row) for row in same]
        await _on_driver(executor, statement.sql, "executemany", args)


def engine_of(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    bind = sessionmaker.kw["bind"]
    assert isinstance(bind, AsyncEngine)
    return bind


@contextlib.asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A pooled connection in a transaction, committed on success: for units made only of
    direct statements, a session's own begin, commit and close (≈ 120 µs of CPU here) is
    their largest cost."""
    async with engine.begin() as connection:
        yield connection


@contextlib.asynccontextmanager
async def autocommit(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A pooled connection with no transaction: each statement commits on its own. For one
    statement that needs no company, it saves the BEGIN and COMMIT round trips as well
    (≈ 270 µs of CPU against a session here)."""
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


async def _on_driver(executor: Executor, sql: str, method: str, *args: Any) -> Any:
    """``method`` of the statement prepared on the executor's asyncpg connection."""
    # A session several tasks share takes turns (db/shared.py). Looked up by name: a
    # runtime-checkable Protocol's isinstance walked the protocol on every statement, a
    # fifth of a statement's CPU outside the driver.
    serialized = getattr(executor, "serialized", None)
    turn = serialized() if serialized is not None else contextlib.nullcontext()
    async with turn:
        return await _run(executor, sql, method, *args)


async def _run(executor: Executor, sql: str, method: str, *args: Any) -> Any:
    if isinstance(executor, AsyncSession) and _has_changes(executor):
        await executor.flush()  # as ``session.execute`` would: ORM changes go first
    adapted, dialect = await _driver_connection(executor)
    async with adapted._execute_mutex:
        try:
            if adapted._transaction is None and not adapted.autocommit:
                await adapted._start_transaction()
            prepared, _ = await adapted._prepare(
                sql,
                getattr(dialect, "_invalidate_schema_cache_asof", 0),
            )
            return await getattr(prepared, method)(*args)
        except Exception as error:
            try:
                adapted._handle_exception(error)
            except dialect.loaded_dbapi.Error as translated:
                raise DBAPIError.instance(
                    sql, None, translated, dialect.loaded_dbapi.Error, dialect=dialect
                ) from error
            raise


def _has_changes(session: AsyncSession) -> bool:
    return session.autoflush and bool(session.new or session.deleted or session.dirty)


_DRIVER = "qbsync.direct.driver"


async def _driver_connection(executor: Executor) -> tuple[Any, Dialect]:
    """The asyncpg adapter under the executor's transaction; a session's is looked up once
    per transaction: ``session.connection()`` and the raw connection's lookup are two
    greenlet switches each time, most of a statement's CPU outside the driver."""
    if isinstance(executor, AsyncConnection):
        return (await executor.get_raw_connection()).dbapi_connection, executor.dialect
    session = executor
    found = session.info.get(_DRIVER)
    if found is not None:
        transaction, adapted, dialect = found
        current = session.sync_session.get_transaction()
        if current is not None and current is transaction and current.is_active:
            return adapted, dialect
    connection = await session.connection()
    adapted = (await connection.get_raw_connection()).dbapi_connection
    transaction = session.sync_session.get_transaction()
    session.info[_DRIVER] = (transaction, adapted, connection.dialect)
    return adapted, connection.dialect
