"""Every recorded QBO answer (tests/fixtures/qbo-recorded) goes through the real client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from qbsync.config import QuickBooksSettings
from qbsync.quickbooks import wire
from qbsync.quickbooks.batch import BatchItem
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.errors import (
    QuickBooksAuthError,
    QuickBooksDuplicateName,
    QuickBooksError,
    QuickBooksValidationError,
)
from qbsync.quickbooks.limiter import RealmLimiter
from qbsync.quickbooks.schemas import ENTITY_MODELS, Customer, Invoice, Vendor

from .conftest import REALM_ID, FakeTokens

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures/qbo-recorded"
# Change data capture is not something this client does; everything else must parse.
NOT_OURS = {"cdc_basic.yml#0"}
# Recorded errors and the class each must become.
EXPECTED_ERRORS: dict[str, tuple[type[QuickBooksError], str]] = {
    "error_401.yml#0": (QuickBooksAuthError, "3200"),
    "error_validation.yml#0": (QuickBooksDuplicateName, "6240"),
    "error_400.yml#1": (QuickBooksValidationError, "4001"),
    "error_400_json.yml#0": (QuickBooksValidationError, "2010"),
    "error_500.yml#0": (QuickBooksValidationError, "500"),
    "error_500.yml#1": (QuickBooksValidationError, "2030"),
}


@dataclass(frozen=True)
class Recorded:
    key: str
    status: int
    headers: list[tuple[str, str]]
    body: str

    @property
    def document(self) -> Any:
        return wire.loads(self.body.encode())

    @property
    def intuit_tid(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "intuit-tid"), None)


def _recordings() -> list[Recorded]:
    found = []
    for path in sorted(FIXTURES.glob("*.yml")):
        cassette = yaml.safe_load(path.read_text())
        for index, interaction in enumerate(cassette["http_interactions"]):
            response = interaction["response"]
            headers = [
                (name, value)
                for name, values in response["headers"].items()
                if name.lower() not in {"content-length", "transfer-encoding", "content-encoding"}
                for value in values
            ]
            found.append(
                Recorded(
                    f"{path.name}#{index}",
                    response["status"]["code"],
                    headers,
                    response["body"]["string"],
                )
            )
    return found


RECORDINGS = _recordings()


@asynccontextmanager
async def _client(recorded: Recorded) -> AsyncIterator[QuickBooksClient]:
    """A client whose every request is answered with the recorded response."""

    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(
            recorded.status, headers=recorded.headers, content=recorded.body.encode()
        )

    settings = QuickBooksSettings(api_base_url="https://qbo.test", max_attempts=1)
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        yield QuickBooksClient(
            http,
            realm_id=REALM_ID,
            tokens=FakeTokens(),
            settings=settings,
            limiter=RealmLimiter(10, 500),
        )


def test_every_recording_is_covered() -> None:
    keys = {r.key for r in RECORDINGS}
    assert len(keys) == 22
    assert keys >= NOT_OURS
    assert keys >= set(EXPECTED_ERRORS)


@pytest.mark.parametrize(
    "recorded", [r for r in RECORDINGS if r.key in EXPECTED_ERRORS], ids=lambda r: r.key
)
async def test_recorded_errors(recorded: Recorded) -> None:
    cls, code = EXPECTED_ERRORS[recorded.key]
    async with _client(recorded) as qbo:
        with pytest.raises(cls) as caught:
            await qbo.read(Customer, "1")
    assert type(caught.value) is cls
    assert caught.value.fault_code == code
    assert caught.value.intuit_tid == recorded.intuit_tid
    assert caught.value.http_status == recorded.status
    assert caught.value.message


@pytest.mark.parametrize(
    "recorded",
    [r for r in RECORDINGS if r.key not in EXPECTED_ERRORS and r.key not in NOT_OURS],
    ids=lambda r: r.key,
)
async def test_recorded_answers(recorded: Recorded) -> None:
    document = recorded.document
    async with _client(recorded) as qbo:
        if "QueryResponse" in document:
            page = document["QueryResponse"]
            if "totalCount" in page:
                assert await qbo.count(Customer) == page["totalCount"]
            else:
                [entity_name] = [key for key in page if key in ENTITY_MODELS]
                found = await qbo.query(ENTITY_MODELS[entity_name])
                assert [e.id for e in found] == [row["Id"] for row in page[entity_name]]
        elif "BatchItemResponse" in document:
            await _check_batch(qbo, document)
        else:
            [entity_name] = [key for key in document if key in ENTITY_MODELS]
            entity = await qbo.read(ENTITY_MODELS[entity_name], "1")
            assert entity.id == document[entity_name]["Id"]
            _check_money(entity.model_dump(by_alias=True), document[entity_name])
        assert qbo.last_intuit_tid == recorded.intuit_tid


async def _check_batch(qbo: QuickBooksClient, document: Any) -> None:
    items = [
        BatchItem.create("bid1", Vendor(display_name="Boraski Family Store")),
        BatchItem.delete("bid2", Invoice, "129", "0"),
        BatchItem.update("bid3", Customer(id="11", sync_token="0")),
        BatchItem.select("bid4", Invoice),
    ]
    results = await qbo.batch(items, request_id="batch-1")
    assert isinstance(results[0].entity, Vendor)
    assert results[0].entity.id == "71"
    assert results[1].error is not None
    assert results[1].error.fault_code == "610"
    assert results[2].error is not None
    assert results[2].error.fault_code == "5010"
    assert results[3].query_response is not None
    assert results[3].query_response.max_results == 2
    assert len(document["BatchItemResponse"]) == 4


def _check_money(parsed: dict[str, Any], raw: dict[str, Any]) -> None:
    """Money read from the recording equals the recorded digits exactly (no float detour)."""
    for key in ("TotalAmt", "Balance", "BalanceWithJobs"):
        if key in raw:
            assert parsed[key] == raw[key]
            assert isinstance(parsed[key], Decimal)
            assert str(parsed[key]) == str(raw[key])
