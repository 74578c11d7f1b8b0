"""Running a parsed ``Query`` against a realm: validation (4001), filtering, order, paging."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import partial

from qbo_emulator import faults
from qbo_emulator.clock import PACIFIC
from qbo_emulator.entities.base import EntityKind
from qbo_emulator.entities.registry import kind_named
from qbo_emulator.query.parser import COMPARISONS, Condition, Query, QueryValue, parse_query
from qbo_emulator.realm import Realm, Record
from qbo_emulator.wire import JsonObject, JsonValue

MAX_RESULTS_LIMIT = 1000
ENVELOPE = ("Id", "SyncToken", "MetaData", "domain", "sparse")


def _canonical_path(kind: EntityKind, path: str) -> str:
    head, _, rest = path.partition(".")
    known = {name.casefold(): name for name in (*kind.properties, *ENVELOPE)}
    if kind.properties and head.casefold() not in known:
        raise faults.query_invalid(f"property '{head}' is not queryable for {kind.name}")
    canonical = known.get(head.casefold(), head)
    return f"{canonical}.{rest}" if rest else canonical


def _lookup(doc: JsonObject, path: str) -> JsonValue:
    value: JsonValue = doc
    for segment in path.split("."):
        if not isinstance(value, dict):
            return None
        match = next((key for key in value if key.casefold() == segment.casefold()), None)
        value = value.get(match) if match is not None else None
    if isinstance(value, dict) and "value" in value:
        return value["value"]  # a reference compares by its Id
    return value


def _as_datetime(text: str) -> datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=PACIFIC)


def _sort_key(value: JsonValue) -> tuple[int, Decimal | datetime | str]:
    """A total order over mixed values: numbers, then timestamps, then text."""
    if isinstance(value, bool):
        return 0, Decimal(int(value))
    if isinstance(value, int | Decimal):
        return 0, Decimal(value)
    if isinstance(value, str):
        if value.isdigit():
            return 0, Decimal(value)
        moment = _as_datetime(value)
        if moment is not None:
            return 1, moment
        return 2, value.casefold()
    return 3, ""


def _compare(actual: JsonValue, op: str, expected: QueryValue) -> bool:
    if actual is None:
        return False
    if isinstance(actual, bool) or isinstance(expected, bool):
        truth = {"true": True, "false": False}
        left = actual if isinstance(actual, bool) else truth.get(str(actual).lower())
        right = expected if isinstance(expected, bool) else truth.get(str(expected).lower())
        return op == "=" and left is not None and left == right
    if isinstance(actual, int | Decimal) or (isinstance(actual, str) and actual.isdigit()):
        try:
            left_num, right_num = Decimal(actual), Decimal(expected)
        except InvalidOperation:
            return False
        return _ordered(left_num, op, right_num)
    left_key, right_key = _sort_key(actual), _sort_key(expected)
    if left_key[0] != right_key[0]:
        return False
    return _ordered(left_key[1], op, right_key[1])


def _ordered(left: Decimal | datetime | str, op: str, right: Decimal | datetime | str) -> bool:
    operations: dict[str, Callable[[object, object], bool]] = {
        "=": lambda a, b: a == b,
        "<": lambda a, b: a < b,  # type: ignore[operator]
        ">": lambda a, b: a > b,  # type: ignore[operator]
        "<=": lambda a, b: a <= b,  # type: ignore[operator]
        ">=": lambda a, b: a >= b,  # type: ignore[operator]
    }
    return operations[op](left, right)


def _like(actual: JsonValue, pattern: str) -> bool:
    if not isinstance(actual, str):
        return False
    regex = ".*".join(re.escape(part) for part in pattern.split("%"))
    return re.fullmatch(regex, actual, flags=re.IGNORECASE | re.DOTALL) is not None


def _matches(doc: JsonObject, condition: Condition) -> bool:
    actual = _lookup(doc, condition.path)
    if condition.op == "IN":
        return any(_compare(actual, "=", value) for value in condition.values)
    if condition.op == "LIKE":
        return _like(actual, str(condition.values[0]))
    return _compare(actual, condition.op, condition.values[0])


def _validate(query: Query) -> tuple[EntityKind, Query]:
    kind = kind_named(query.entity)
    if kind is None:
        raise faults.query_invalid(f"invalid context declaration: {query.entity}")
    if query.max_results > MAX_RESULTS_LIMIT:
        raise faults.query_invalid(
            f"value {query.max_results} is too large. Max allowed value is {MAX_RESULTS_LIMIT}"
        )
    if query.max_results < 1 or query.start_position < 1:
        raise faults.query_invalid("STARTPOSITION and MAXRESULTS must be positive")
    where = []
    for condition in query.where:
        path = _canonical_path(kind, condition.path)
        if path == "Id" and condition.op not in ("=", "IN"):
            raise faults.query_invalid(f"operator {condition.op} is not supported for Id")
        if condition.op not in (*COMPARISONS, "IN", "LIKE"):
            raise faults.query_invalid(f"operator {condition.op} is not supported")
        where.append(Condition(path, condition.op, condition.values))
    order = tuple((_canonical_path(kind, path), desc) for path, desc in query.order_by)
    return kind, Query(
        kind.name,
        query.count,
        query.fields,
        tuple(where),
        order,
        query.start_position,
        query.max_results,
    )


def _row_key(path: str, row: tuple[Record, JsonObject]) -> tuple[int, Decimal | datetime | str]:
    return _sort_key(_lookup(row[1], path))


def _view(record: Record) -> JsonObject:
    """What filters see without a full render: stored fields plus the envelope."""
    return {**record.body, "Id": record.id, "SyncToken": str(record.sync_token)}


def run_query(realm: Realm, text: str) -> JsonObject:
    """The ``QueryResponse`` object for ``text`` (``{}`` when nothing matches)."""
    kind, query = _validate(parse_query(text))
    paths = [c.path.split(".")[0] for c in query.where] + [
        p.split(".")[0] for p, _ in query.order_by
    ]
    # Render every record only when a filter needs a computed field (Balance, MetaData, ...).
    needs_render = any(path in kind.computed or path == "MetaData" for path in paths)
    records = [record for record in realm.all(kind.name) if not record.deleted]
    rows = [
        (record, kind.render(realm, record) if needs_render else _view(record))
        for record in records
    ]
    if kind.name_list and not any(c.path == "Active" for c in query.where):
        # Name lists answer with active records only unless the query asks about Active.
        rows = [(record, doc) for record, doc in rows if doc.get("Active") is not False]
    rows = [(record, doc) for record, doc in rows if all(_matches(doc, c) for c in query.where)]
    if query.count:
        return {"totalCount": len(rows)}
    rows.sort(key=lambda row: _sort_key(row[0].id))
    for path, descending in reversed(query.order_by or ((kind.default_order, False),)):
        rows.sort(key=partial(_row_key, path), reverse=descending)
    page = rows[query.start_position - 1 : query.start_position - 1 + query.max_results]
    if not page:
        return {}
    docs = [doc if needs_render else kind.render(realm, record) for record, doc in page]
    return {kind.name: docs, "startPosition": query.start_position, "maxResults": len(docs)}
