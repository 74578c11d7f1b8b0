"""The query language: parser, escaping, operators, Active filtering, paging, COUNT, errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qbo_emulator.faults import QboFault
from qbo_emulator.query.parser import Condition, parse_query
from support import Qbo, body, fault_code


class TestParser:
    def test_full_statement(self) -> None:
        query = parse_query(
            "select * from Invoice where TotalAmt >= '10.5' and CustomerRef IN ('1', '2') "
            "orderby TxnDate desc, Id maxresults 50 startposition 11"
        )
        assert query.entity == "Invoice"
        assert query.where == (
            Condition("TotalAmt", ">=", ("10.5",)),
            Condition("CustomerRef", "IN", ("1", "2")),
        )
        assert query.order_by == (("TxnDate", True), ("Id", False))
        assert (query.start_position, query.max_results) == (11, 50)

    def test_backslash_escapes(self) -> None:
        query = parse_query(r"SELECT * FROM Customer WHERE DisplayName = 'Amy\'s C:\\temp'")
        assert query.where[0].values == ("Amy's C:\\temp",)

    def test_count_and_literals(self) -> None:
        query = parse_query("SELECT COUNT(*) FROM Customer WHERE Active = false AND Balance > 1.5")
        assert query.count
        assert query.where[0].values == (False,)
        assert query.where[1].values == (Decimal("1.5"),)

    @pytest.mark.parametrize(
        "statement",
        [
            "SELECT * FROM Customer WHERE DisplayName = 'a' OR DisplayName = 'b'",
            "SELECT * FROM Customer WHERE DisplayName = 'Amy's'",
            "SELECT * FROM Customer WHERE DisplayName = 'unterminated",
            "SELECT * Customer",
            "SELECT * FROM Customer WHERE Id != '1'",
            "SELECT * FROM Customer MAXRESULTS ten",
            "DELETE FROM Customer",
        ],
    )
    def test_syntax_errors_are_4000(self, statement: str) -> None:
        with pytest.raises(QboFault) as caught:
            parse_query(statement)
        assert caught.value.code == "4000"


async def _names(qbo: Qbo, statement: str) -> list[str]:
    response = await qbo.query(statement)
    assert response.status_code == 200, response.text
    return [c["DisplayName"] for c in body(response)["QueryResponse"].get("Customer", [])]


@pytest.fixture
async def customers(qbo: Qbo) -> Qbo:
    for name in (
        "Amy's Bird Sanctuary",
        "C:\\temp Traders",
        "Bill's Windsurf Shop",
        "Cool Cars",
        "Diego",
    ):
        await qbo.customer(name.replace(":", "-"))
    sleepy = await qbo.customer("Zed Dormant")
    await qbo.post(
        "customer", {"Id": sleepy["Id"], "SyncToken": "0", "sparse": True, "Active": False}
    )
    return qbo


class TestFilters:
    async def test_escaped_quote_and_backslash_match(self, customers: Qbo) -> None:
        assert await _names(
            customers, r"SELECT * FROM Customer WHERE DisplayName = 'Amy\'s Bird Sanctuary'"
        ) == ["Amy's Bird Sanctuary"]
        assert await _names(
            customers, r"SELECT * FROM Customer WHERE DisplayName = 'C-\\temp Traders'"
        ) == ["C-\\temp Traders"]

    async def test_comparison_is_case_insensitive(self, customers: Qbo) -> None:
        assert await _names(
            customers, "SELECT * FROM Customer WHERE DisplayName = 'cool CARS'"
        ) == ["Cool Cars"]

    async def test_like_and_in(self, customers: Qbo) -> None:
        assert await _names(customers, "SELECT * FROM Customer WHERE DisplayName LIKE 'c%'") == [
            "C-\\temp Traders",
            "Cool Cars",
        ]
        assert await _names(
            customers, "SELECT * FROM Customer WHERE DisplayName IN ('Diego', 'nobody')"
        ) == ["Diego"]

    async def test_post_query_with_application_text(self, customers: Qbo) -> None:
        response = await customers.http.post(
            customers.url("query"),
            content="SELECT * FROM Customer WHERE DisplayName = 'Diego'",
            headers={**customers.headers, "Content-Type": "application/text"},
        )
        assert [c["DisplayName"] for c in body(response)["QueryResponse"]["Customer"]] == ["Diego"]

    async def test_inactive_hidden_unless_asked(self, customers: Qbo) -> None:
        assert "Zed Dormant" not in await _names(customers, "SELECT * FROM Customer")
        assert await _names(customers, "SELECT * FROM Customer WHERE Active = false") == [
            "Zed Dormant"
        ]
        both = await _names(customers, "SELECT * FROM Customer WHERE Active IN (true, false)")
        assert len(both) == 6

    async def test_order_by_desc(self, customers: Qbo) -> None:
        names = await _names(customers, "SELECT * FROM Customer ORDERBY DisplayName DESC")
        assert names == sorted(names, key=str.casefold, reverse=True)

    async def test_numbers_and_timestamps(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Spender")
        small = await qbo.invoice(customer["Id"], "5.00")
        big = await qbo.invoice(customer["Id"], "500.00")
        response = await qbo.query("SELECT * FROM Invoice WHERE TotalAmt > '100'")
        assert [i["Id"] for i in body(response)["QueryResponse"]["Invoice"]] == [big["Id"]]
        stamp = small["MetaData"]["CreateTime"]
        response = await qbo.query(f"SELECT * FROM Invoice WHERE MetaData.CreateTime >= '{stamp}'")
        assert len(body(response)["QueryResponse"]["Invoice"]) == 2
        response = await qbo.query(f"SELECT * FROM Invoice WHERE CustomerRef = '{customer['Id']}'")
        assert len(body(response)["QueryResponse"]["Invoice"]) == 2


class TestPaging:
    async def test_pages_and_count(self, customers: Qbo) -> None:
        first = body(await customers.query("SELECT * FROM Customer STARTPOSITION 1 MAXRESULTS 2"))[
            "QueryResponse"
        ]
        assert (first["startPosition"], first["maxResults"], len(first["Customer"])) == (1, 2, 2)
        last = body(await customers.query("SELECT * FROM Customer STARTPOSITION 5 MAXRESULTS 2"))[
            "QueryResponse"
        ]
        assert (last["startPosition"], last["maxResults"]) == (5, 1)
        count = body(await customers.query("SELECT COUNT(*) FROM Customer"))["QueryResponse"]
        assert count == {"totalCount": 5}

    async def test_empty_result_is_an_empty_object(self, customers: Qbo) -> None:
        response = await customers.query("SELECT * FROM Customer WHERE DisplayName = 'nobody'")
        assert body(response)["QueryResponse"] == {}

    async def test_paging_past_the_end_is_empty(self, customers: Qbo) -> None:
        response = await customers.query("SELECT * FROM Customer STARTPOSITION 100")
        assert body(response)["QueryResponse"] == {}


class TestErrors:
    async def test_maxresults_over_1000_is_4001(self, qbo: Qbo) -> None:
        response = await qbo.query("SELECT * FROM Customer MAXRESULTS 1001")
        assert fault_code(response) == "4001"
        assert "Max allowed value is 1000" in body(response)["Fault"]["Error"][0]["Detail"]

    async def test_unknown_entity_is_4001(self, qbo: Qbo) -> None:
        response = await qbo.query("SELECT * FROM Custmoer")
        assert response.status_code == 400
        assert (
            "invalid context declaration: Custmoer" in body(response)["Fault"]["Error"][0]["Detail"]
        )

    async def test_unknown_property_is_4001(self, qbo: Qbo) -> None:
        assert fault_code(await qbo.query("SELECT * FROM Customer WHERE Shoe = '1'")) == "4001"

    async def test_id_only_supports_equality(self, qbo: Qbo) -> None:
        assert fault_code(await qbo.query("SELECT * FROM Customer WHERE Id > '1'")) == "4001"

    async def test_parse_error_is_4000(self, qbo: Qbo) -> None:
        assert (
            fault_code(await qbo.query("SELECT * FROM Customer WHERE DisplayName = 'O'Keefe'"))
            == "4000"
        )
