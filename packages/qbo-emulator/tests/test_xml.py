"""``Accept: application/xml``: QBO answers in XML (its v3 API speaks both), so does the
emulator, for every answer of the entities it emulates; each answer here validates against
Intuit's XSD. The throttle's XML (QBO sends it even to JSON clients) is in test_throttle."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest
import xmlschema

from qbo_emulator import xmlwire
from support import SEED_REALM, XSD_DIR, Qbo, payment

NS = {"q": "http://schema.intuit.com/finance/v3"}


@pytest.fixture(scope="module")
def xsd() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD_DIR / "IntuitRestServiceDef.xsd"))


def _xml_headers(qbo: Qbo, **extra: str) -> dict[str, str]:
    return {**qbo.headers, "Accept": "application/xml", **extra}


async def _get_xml(qbo: Qbo, path: str, **params: str) -> httpx.Response:
    return await qbo.http.get(
        qbo.url(path), params={"minorversion": "75", **params}, headers=_xml_headers(qbo)
    )


async def _post_xml(qbo: Qbo, path: str, payload: bytes, **params: str) -> httpx.Response:
    headers = _xml_headers(qbo, **{"Content-Type": "application/json"})
    return await qbo.http.post(
        qbo.url(path), params={"minorversion": "75", **params}, content=payload, headers=headers
    )


def _valid(xsd: xmlschema.XMLSchema, response: httpx.Response) -> ET.Element:
    assert response.headers["content-type"].startswith("application/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
    errors = [str(error.reason) for error in xsd.iter_errors(response.text)]
    assert errors == []
    root = ET.fromstring(response.content)
    assert root.tag == "{http://schema.intuit.com/finance/v3}IntuitResponse"
    assert root.get("time")
    return root


@pytest.fixture
async def amy(qbo: Qbo) -> dict[str, Any]:
    return await qbo.customer("Amy's Bird Sanctuary", BillAddr={"Line1": "4581 Finch St."})


class TestEntities:
    @pytest.mark.parametrize(
        "path",
        ["customer/{customer}", "invoice/{invoice}", "payment/{payment}", "item/1", "account/1"],
    )
    async def test_reads(
        self, qbo: Qbo, xsd: xmlschema.XMLSchema, amy: dict[str, Any], path: str
    ) -> None:
        invoice = await qbo.invoice(amy["Id"], "10.00")
        paid = await qbo.create("Payment", payment(amy["Id"], "4.00", (invoice["Id"], "4.00")))
        ids = {"customer": amy["Id"], "invoice": invoice["Id"], "payment": paid["Id"]}
        response = await _get_xml(qbo, path.format(**ids))
        assert response.status_code == 200
        root = _valid(xsd, response)
        [entity] = list(root)
        assert entity.get("domain") == "QBO"
        assert entity.findtext("q:Id", namespaces=NS) is not None

    async def test_invoice_keeps_money_references_and_lines(
        self, qbo: Qbo, xsd: xmlschema.XMLSchema, amy: dict[str, Any]
    ) -> None:
        invoice = await qbo.invoice(amy["Id"], "100.00", "37.50")
        root = _valid(xsd, await _get_xml(qbo, f"invoice/{invoice['Id']}"))
        xml_invoice = root.find("q:Invoice", NS)
        assert xml_invoice is not None
        assert xml_invoice.findtext("q:TotalAmt", namespaces=NS) == "137.50"
        customer = xml_invoice.find("q:CustomerRef", NS)
        assert customer is not None
        assert (customer.text, customer.get("name")) == (amy["Id"], amy["DisplayName"])
        detail_types = [
            line.findtext("q:DetailType", namespaces=NS)
            for line in xml_invoice.findall("q:Line", NS)
        ]
        assert detail_types == ["SalesItemLineDetail"] * 2 + ["SubTotalLineDetail"]

    async def test_create_answers_in_xml(self, qbo: Qbo, xsd: xmlschema.XMLSchema) -> None:
        response = await _post_xml(qbo, "customer", b'{"DisplayName": "Xml Co"}')
        assert response.status_code == 200
        root = _valid(xsd, response)
        assert root.findtext("q:Customer/q:DisplayName", namespaces=NS) == "Xml Co"

    async def test_company_info_and_preferences(self, qbo: Qbo, xsd: xmlschema.XMLSchema) -> None:
        _valid(xsd, await _get_xml(qbo, f"companyinfo/{SEED_REALM}"))
        root = _valid(xsd, await _get_xml(qbo, "preferences"))
        assert root.find("q:Preferences/q:EmailMessagesPrefs", NS) is not None


class TestQueriesBatchAndFaults:
    async def test_query_and_count(
        self, qbo: Qbo, xsd: xmlschema.XMLSchema, amy: dict[str, Any]
    ) -> None:
        await qbo.customer("Second")
        root = _valid(xsd, await _get_xml(qbo, "query", query="SELECT * FROM Customer"))
        answer = root.find("q:QueryResponse", NS)
        assert answer is not None
        assert (answer.get("startPosition"), answer.get("maxResults")) == ("1", "2")
        assert [c.findtext("q:Id", namespaces=NS) for c in answer] == [amy["Id"], "2"]
        root = _valid(xsd, await _get_xml(qbo, "query", query="SELECT COUNT(*) FROM Customer"))
        counted = root.find("q:QueryResponse", NS)
        assert counted is not None
        assert counted.get("totalCount") == "2"

    async def test_batch(self, qbo: Qbo, xsd: xmlschema.XMLSchema) -> None:
        payload = (
            b'{"BatchItemRequest": [{"bId": "b1", "operation": "create", "Customer":'
            b' {"DisplayName": "Batched"}}, {"bId": "b2", "Query": "select * from Item"},'
            b' {"bId": "b3", "operation": "delete", "Invoice": {"Id": "999", "SyncToken": "0"}}]}'
        )
        root = _valid(xsd, await _post_xml(qbo, "batch", payload))
        items = root.findall("q:BatchItemResponse", NS)
        assert [item.get("bId") for item in items] == ["b1", "b2", "b3"]
        assert items[0].find("q:Customer", NS) is not None
        assert items[1].find("q:QueryResponse", NS) is not None
        fault = items[2].find("q:Fault/q:Error", NS)
        assert fault is not None
        assert fault.get("code") == "610"

    async def test_a_validation_fault(self, qbo: Qbo, xsd: xmlschema.XMLSchema) -> None:
        await qbo.customer("Taken")
        response = await _post_xml(qbo, "customer", b'{"DisplayName": "Taken"}')
        assert response.status_code == 400
        root = _valid(xsd, response)
        fault = root.find("q:Fault", NS)
        assert fault is not None
        assert fault.get("type") == "ValidationFault"
        error = fault.find("q:Error", NS)
        assert error is not None
        assert error.get("code") == "6240"
        assert error.findtext("q:Message", namespaces=NS) == "Duplicate Name Exists Error"

    async def test_an_authentication_fault(self, qbo: Qbo, xsd: xmlschema.XMLSchema) -> None:
        headers = {"Authorization": "Bearer nope", "Accept": "application/xml"}
        response = await qbo.http.get(qbo.url("customer/1"), headers=headers)
        assert response.status_code == 401
        root = _valid(xsd, response)
        error = root.find("q:Fault/q:Error", NS)
        assert error is not None
        assert error.get("code") == "3200"
        assert response.headers["www-authenticate"].startswith("Bearer")


class TestNegotiation:
    @pytest.mark.parametrize(
        "accept", ["application/json", "*/*", "application/json, application/xml", None]
    )
    async def test_json_unless_xml_is_asked_for(self, qbo: Qbo, accept: str | None) -> None:
        headers = {"Authorization": qbo.headers["Authorization"]}
        if accept is not None:
            headers["Accept"] = accept
        response = await qbo.http.get(qbo.url("item/1"), headers=headers)
        assert response.headers["content-type"].startswith("application/json")

    async def test_text_xml_counts_as_xml(self, qbo: Qbo) -> None:
        headers = {"Authorization": qbo.headers["Authorization"], "Accept": "text/xml"}
        response = await qbo.http.get(qbo.url("item/1"), headers=headers)
        assert response.headers["content-type"].startswith("application/xml")

    async def test_xml_request_bodies_are_refused_with_a_fault(self, qbo: Qbo) -> None:
        """A difference: QBO accepts XML bodies; the emulator says it does not."""
        headers = {**qbo.headers, "Content-Type": "application/xml"}
        body = b'<Customer xmlns="http://schema.intuit.com/finance/v3"><DisplayName>X</DisplayName></Customer>'
        response = await qbo.http.post(qbo.url("customer"), content=body, headers=headers)
        assert response.status_code == 400
        error = response.json()["Fault"]["Error"][0]
        assert error["code"] == "500"
        assert "XML request bodies" in error["Detail"]

    async def test_an_answer_the_schema_cannot_hold_becomes_a_fault(
        self, qbo: Qbo, xsd: xmlschema.XMLSchema, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        real = xmlwire.from_json
        calls: list[bytes] = []

        def first_fails(answer: bytes) -> bytes:
            calls.append(answer)
            if len(calls) == 1:
                raise xmlwire.NotRenderable("Item has no element Gizmo")
            return real(answer)

        monkeypatch.setattr(xmlwire, "from_json", first_fails)
        response = await _get_xml(qbo, "item/1")
        assert response.status_code == 400
        root = _valid(xsd, response)
        error = root.find("q:Fault/q:Error", NS)
        assert error is not None
        assert "Item has no element Gizmo" in (error.findtext("q:Detail", namespaces=NS) or "")

    def test_the_writer_refuses_keys_the_schema_lacks(self) -> None:
        with pytest.raises(xmlwire.NotRenderable, match="Gizmo"):
            xmlwire.from_json(b'{"Item": {"Name": "x", "Gizmo": 1}, "time": "t"}')
