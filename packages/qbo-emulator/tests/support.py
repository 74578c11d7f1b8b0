"""Test helpers: an authenticated view of one emulated realm, and body parsing with Decimal."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

import qbo_emulator
from qbo_emulator.config import PLAYGROUND_REDIRECT_URI, EmulatorConfig
from qbo_emulator.wire import dumps

SEED_REALM = "9130357766900001"
# The redirect URI the tests' app registered (besides Intuit's OAuth Playground).
REDIRECT = "http://app.test/api/quickbooks/callback"
# Copies of third-party evidence (see data/README.md), so the tests run from a plain clone.
DATA = Path(__file__).resolve().parent / "data"
RECORDED = DATA / "qbo-recorded"
XSD_DIR = Path(qbo_emulator.__file__).resolve().parent / "xsd"  # shipped: the XML answers use it


def app_config(**knobs: Any) -> EmulatorConfig:
    """The emulator's start-up config with the tests' app redirect URI registered."""
    return EmulatorConfig(redirect_uris=(PLAYGROUND_REDIRECT_URI, REDIRECT), **knobs)


def body(response: httpx.Response) -> Any:
    return json.loads(response.content, parse_float=Decimal)


def fault_code(response: httpx.Response) -> str:
    errors = body(response)["Fault"]["Error"]
    return str(errors[0]["code"])


def payment(customer_id: str, total: str, *applied: tuple[str, str]) -> dict[str, Any]:
    """A Payment body applying ``(invoice_id, amount)`` pairs."""
    return {
        "CustomerRef": {"value": customer_id},
        "TotalAmt": Decimal(total),
        "Line": [
            {"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}
            for invoice_id, amount in applied
        ],
    }


class Qbo:
    """Calls one realm's Accounting API the way a client would (bearer token, minorversion)."""

    def __init__(
        self, http: httpx.AsyncClient, *, realm_id: str, access_token: str, prefix: str = "/sandbox"
    ) -> None:
        self.http = http
        self.realm_id = realm_id
        self.access_token = access_token
        self.prefix = prefix

    def url(self, path: str) -> str:
        return f"{self.prefix}/v3/company/{self.realm_id}/{path.lstrip('/')}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}", "Accept": "application/json"}

    async def get(self, path: str, **params: str) -> httpx.Response:
        params.setdefault("minorversion", "75")
        return await self.http.get(self.url(path), params=params, headers=self.headers)

    async def post(self, path: str, payload: Any, **params: str) -> httpx.Response:
        params.setdefault("minorversion", "75")
        # Decimal goes out as a JSON number, as a real client sends money.
        content = payload if isinstance(payload, bytes) else dumps(payload)
        headers = {**self.headers, "Content-Type": "application/json"}
        return await self.http.post(self.url(path), params=params, content=content, headers=headers)

    async def query(self, statement: str) -> httpx.Response:
        return await self.get("query", query=statement)

    async def create(self, entity: str, payload: dict[str, Any], **params: str) -> dict[str, Any]:
        """Create and return the entity; fails the test on any Fault."""
        response = await self.post(entity.lower(), payload, **params)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = body(response)[entity]
        return result

    async def customer(self, name: str, **fields: Any) -> dict[str, Any]:
        return await self.create("Customer", {"DisplayName": name, **fields})

    async def invoice(self, customer_id: str, *amounts: str, **fields: Any) -> dict[str, Any]:
        lines = [
            {
                "Amount": Decimal(amount),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
            }
            for amount in amounts
        ]
        payload = {"CustomerRef": {"value": customer_id}, "Line": lines, **fields}
        return await self.create("Invoice", payload)
