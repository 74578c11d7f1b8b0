"""Safe QBO query building: escaped values, checked field names, AND only (QBO has no OR).

    Q.eq("DisplayName", "O'Brien") & Q.in_("Active", [True, False])
    -> DisplayName = 'O\\'Brien' AND Active IN (true, false)

Intuit's query language: https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

QueryValue = str | bool | int | Decimal | date | datetime

MAX_PAGE_SIZE = 1000

# Property paths such as ``DisplayName`` or ``MetaData.LastUpdatedTime``; anything else is
# refused so that a field name can never smuggle in a clause.
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$")
_ORDER = re.compile(r"^([A-Za-z][A-Za-z0-9.]*)(\s+(ASC|DESC))?$", re.IGNORECASE)
_ENTITY = re.compile(r"^[A-Za-z]+$")


def escape_query_value(value: str) -> str:
    """Escape a string for use between single quotes in a QBO query.

    Backslashes first, then quotes: escaping the quote first would let a trailing backslash
    in the value escape our closing quote (python-quickbooks #319). Curly quotes and other
    non-ASCII characters are not delimiters and pass through unchanged.
    """
    return value.replace("\\", "\\\\").replace("'", "\\'")


def render_value(value: QueryValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot query for {value!r}")
        return f"'{format(value, 'f')}'"
    if isinstance(value, int):
        return f"'{value}'"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("query datetimes need an explicit offset")
        return f"'{value.isoformat()}'"
    if isinstance(value, date):
        return f"'{value.isoformat()}'"
    return f"'{escape_query_value(value)}'"


def _field(name: str) -> str:
    if not _FIELD.match(name):
        raise ValueError(f"not a QBO property name: {name!r}")
    return name


@dataclass(frozen=True)
class Query:
    """A conjunction of conditions; combine with ``&`` or ``Q.all``."""

    conditions: tuple[str, ...]

    def __and__(self, other: Query) -> Query:
        return Query(self.conditions + other.conditions)

    def render(self) -> str:
        return " AND ".join(self.conditions)


class Q:
    """Condition constructors. Values are always rendered through ``render_value``."""

    @staticmethod
    def _cond(field: str, op: str, value: QueryValue) -> Query:
        return Query((f"{_field(field)} {op} {render_value(value)}",))

    @staticmethod
    def eq(field: str, value: QueryValue) -> Query:
        return Q._cond(field, "=", value)

    @staticmethod
    def lt(field: str, value: QueryValue) -> Query:
        return Q._cond(field, "<", value)

    @staticmethod
    def le(field: str, value: QueryValue) -> Query:
        return Q._cond(field, "<=", value)

    @staticmethod
    def gt(field: str, value: QueryValue) -> Query:
        return Q._cond(field, ">", value)

    @staticmethod
    def ge(field: str, value: QueryValue) -> Query:
        return Q._cond(field, ">=", value)

    @staticmethod
    def like(field: str, pattern: str) -> Query:
        """``%`` is the only wildcard QBO knows; it is not escaped."""
        return Q._cond(field, "LIKE", pattern)

    @staticmethod
    def in_(field: str, values: Iterable[QueryValue]) -> Query:
        rendered = [render_value(value) for value in values]
        if not rendered:
            raise ValueError("IN needs at least one value")
        return Query((f"{_field(field)} IN ({', '.join(rendered)})",))

    @staticmethod
    def all(*queries: Query) -> Query:
        return Query(tuple(c for query in queries for c in query.conditions))


def _entity(name: str) -> str:
    if not _ENTITY.match(name):
        raise ValueError(f"not a QBO entity name: {name!r}")
    return name


def _order(order_by: str) -> str:
    found = _ORDER.match(order_by.strip())
    if not found or not _FIELD.match(found.group(1)):
        raise ValueError(f"not a QBO ORDERBY clause: {order_by!r}")
    direction = f" {found.group(3).upper()}" if found.group(3) else ""
    return f"{found.group(1)}{direction}"


def _where(where: Query | None) -> str:
    return f" WHERE {where.render()}" if where is not None and where.conditions else ""


def select_statement(
    entity: str,
    where: Query | None = None,
    *,
    order_by: str | None = None,
    start_position: int = 1,
    max_results: int = MAX_PAGE_SIZE,
) -> str:
    """``SELECT * FROM … [WHERE …] [ORDERBY …] STARTPOSITION n MAXRESULTS m`` (1-based)."""
    if start_position < 1:
        raise ValueError("STARTPOSITION is 1-based")
    if not 1 <= max_results <= MAX_PAGE_SIZE:
        raise ValueError(f"MAXRESULTS must be between 1 and {MAX_PAGE_SIZE}")
    statement = f"SELECT * FROM {_entity(entity)}{_where(where)}"
    if order_by is not None:
        statement += f" ORDERBY {_order(order_by)}"
    return f"{statement} STARTPOSITION {start_position} MAXRESULTS {max_results}"


def count_statement(entity: str, where: Query | None = None) -> str:
    return f"SELECT COUNT(*) FROM {_entity(entity)}{_where(where)}"
