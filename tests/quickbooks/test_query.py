"""Query building: escaping that cannot be broken out of, AND-only conditions, statements."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from qbsync.quickbooks.query import (
    Q,
    Query,
    count_statement,
    escape_query_value,
    render_value,
    select_statement,
)

# A quoted QBO string literal: quote, then (escaped char | anything but quote/backslash)*, quote.
_LITERAL = re.compile(r"'(?:\\.|[^'\\])*'")


def _unescape(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


class TestEscapeQueryValue:
    @pytest.mark.parametrize(
        ("raw", "escaped"),
        [
            ("O'Brien", "O\\'Brien"),
            ("a\\' OR 1=1", "a\\\\\\' OR 1=1"),
            ("trailing\\", "trailing\\\\"),
            ("C:\\path\\", "C:\\\\path\\\\"),
            ("Amy\u2019s \u2018Bird\u2019 \u201cSanctuary\u201d",) * 2,
            ("Müller & Søn 株式会社 🎉", "Müller & Søn 株式会社 🎉"),
            ("plain", "plain"),
            ("", ""),
        ],
    )
    def test_escapes_backslash_then_quote(self, raw: str, escaped: str) -> None:
        assert escape_query_value(raw) == escaped

    @pytest.mark.parametrize(
        "attack",
        [
            "O'Brien",
            "x' OR DisplayName LIKE '%",
            "a\\' OR 1=1",
            "a\\\\' OR 1=1 --",
            "trailing\\",
            "\\'\\'\\'",
            "'",
            "\\",
        ],
    )
    def test_value_stays_one_literal(self, attack: str) -> None:
        rendered = Q.eq("DisplayName", attack).render()
        prefix = "DisplayName = "
        assert rendered.startswith(prefix)
        literal = rendered[len(prefix) :]
        # The whole remainder is exactly one literal, and it decodes back to the input.
        assert _LITERAL.fullmatch(literal), literal
        assert _unescape(literal) == attack


class TestRenderValue:
    def test_types(self) -> None:
        assert render_value(True) == "true"
        assert render_value(False) == "false"
        assert render_value(42) == "'42'"
        assert render_value(Decimal("300.00")) == "'300.00'"
        assert render_value(date(2025, 11, 1)) == "'2025-11-01'"
        pacific = timezone(timedelta(hours=-8))
        stamp = datetime(2024, 1, 1, tzinfo=pacific)
        assert render_value(stamp) == "'2024-01-01T00:00:00-08:00'"

    def test_naive_datetime_is_refused(self) -> None:
        with pytest.raises(ValueError, match="offset"):
            render_value(datetime(2024, 1, 1))  # noqa: DTZ001 - the point of the test

    def test_nan_is_refused(self) -> None:
        with pytest.raises(ValueError, match="cannot query"):
            render_value(Decimal("NaN"))


class TestQ:
    def test_conditions_combine_with_and(self) -> None:
        where = Q.eq("DisplayName", "O'Brien") & Q.in_("Active", [True, False])
        assert where.render() == "DisplayName = 'O\\'Brien' AND Active IN (true, false)"

    def test_all_and_operators(self) -> None:
        stamp = datetime(2025, 1, 1, tzinfo=UTC)
        where = Q.all(
            Q.gt("MetaData.LastUpdatedTime", stamp),
            Q.le("TotalAmt", Decimal("10.5")),
            Q.like("DisplayName", "Acme%"),
            Q.lt("Balance", 1),
            Q.ge("TxnDate", date(2025, 1, 2)),
        )
        assert where.render() == (
            "MetaData.LastUpdatedTime > '2025-01-01T00:00:00+00:00' AND TotalAmt <= '10.5'"
            " AND DisplayName LIKE 'Acme%' AND Balance < '1' AND TxnDate >= '2025-01-02'"
        )

    def test_in_escapes_every_value(self) -> None:
        assert Q.in_("Id", ["1", "2'"]).render() == "Id IN ('1', '2\\'')"

    def test_in_needs_values(self) -> None:
        with pytest.raises(ValueError, match="at least one"):
            Q.in_("Id", [])

    @pytest.mark.parametrize(
        "field", ["Display Name", "Name' OR '1'='1", "1Id", "", "Meta..Data", "Id;"]
    )
    def test_field_names_are_checked(self, field: str) -> None:
        with pytest.raises(ValueError, match="property name"):
            Q.eq(field, "x")


class TestStatements:
    def test_select_with_paging_and_order(self) -> None:
        statement = select_statement(
            "Customer",
            Q.eq("DisplayName", "Amy's"),
            order_by="Id desc",
            start_position=1001,
            max_results=1000,
        )
        assert statement == (
            "SELECT * FROM Customer WHERE DisplayName = 'Amy\\'s' ORDERBY Id DESC"
            " STARTPOSITION 1001 MAXRESULTS 1000"
        )

    def test_select_without_where(self) -> None:
        assert select_statement("Item") == "SELECT * FROM Item STARTPOSITION 1 MAXRESULTS 1000"
        assert select_statement("Item", Query(())) == (
            "SELECT * FROM Item STARTPOSITION 1 MAXRESULTS 1000"
        )

    @pytest.mark.parametrize("size", [0, 1001, 1500])
    def test_page_size_bounds(self, size: int) -> None:
        with pytest.raises(ValueError, match="MAXRESULTS"):
            select_statement("Customer", max_results=size)

    def test_start_position_is_one_based(self) -> None:
        with pytest.raises(ValueError, match="1-based"):
            select_statement("Customer", start_position=0)

    @pytest.mark.parametrize("order_by", ["Id; DROP", "Id ASCENDING", "Id, Name", "'Id'"])
    def test_order_by_is_checked(self, order_by: str) -> None:
        with pytest.raises(ValueError, match="ORDERBY"):
            select_statement("Customer", order_by=order_by)

    def test_count(self) -> None:
        assert count_statement("Invoice", Q.eq("CustomerRef", "67")) == (
            "SELECT COUNT(*) FROM Invoice WHERE CustomerRef = '67'"
        )

    def test_entity_name_is_checked(self) -> None:
        with pytest.raises(ValueError, match="entity name"):
            count_statement("Customer WHERE 1=1")
