"""Helpers for the client-against-emulator tests: token providers, settings, payloads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx

from qbo_emulator.config import EmulatorConfig
from qbo_emulator.control import EmulatorControl
from qbsync.config import QuickBooksSettings
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.limiter import RealmLimiter
from qbsync.quickbooks.schemas import (
    DescriptionOnlyLine,
    DiscountLine,
    DiscountLineDetail,
    Invoice,
    Item,
    Ref,
    SalesItemLine,
    SalesItemLineDetail,
)

CONFIG = EmulatorConfig(timeout_hold_s=5.0)


class EmulatorTokens:
    """A TokenProvider that refreshes at the emulator's OAuth token endpoint."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, access: str, refresh: str):
        self._http = http
        self._base_url = base_url
        self.access = access
        self.refresh_token = refresh
        self.refreshes = 0

    async def get_token(self) -> str:
        return self.access

    async def refresh(self, rejected_token: str) -> str:
        assert rejected_token == self.access
        self.refreshes += 1
        response = await self._http.post(
            f"{self._base_url}/oauth2/v1/tokens/bearer",
            data={"grant_type": "refresh_token", "refresh_token": self.refresh_token},
            auth=(CONFIG.client_id, CONFIG.client_secret),
        )
        response.raise_for_status()
        issued = response.json()
        self.access, self.refresh_token = issued["access_token"], issued["refresh_token"]
        return self.access


class RevokedTokens(EmulatorTokens):
    """Refreshing hands back a token the emulator does not know."""

    async def refresh(self, rejected_token: str) -> str:
        assert rejected_token == self.access
        self.refreshes += 1
        return "not-a-token"


def emulator_settings(emulator_url: str, **overrides: object) -> QuickBooksSettings:
    values: dict[str, object] = {
        "api_base_url": f"{emulator_url}/sandbox",
        "max_attempts": 3,
        "max_backoff_s": 0,
        **overrides,
    }
    return QuickBooksSettings.model_validate(values)


def emulator_client(
    http: httpx.AsyncClient,
    realm_id: str,
    tokens: EmulatorTokens,
    settings: QuickBooksSettings,
    limiter: RealmLimiter | None = None,
) -> QuickBooksClient:
    return QuickBooksClient(
        http,
        realm_id=realm_id,
        tokens=tokens,
        settings=settings,
        limiter=limiter or RealmLimiter(10, 10_000, per_second=10_000, throttle_pause_s=0),
    )


async def service_item(qbo: QuickBooksClient, name: str = "Pro Plan") -> Item:
    item = Item(name=name, type="Service", income_account_ref=Ref(value="1"))
    return await qbo.create(item, request_id=f"item-{name.replace(' ', '-')}")


def invoice_for(customer_id: str, item_id: str, doc_number: str) -> Invoice:
    return Invoice(
        customer_ref=Ref(value=customer_id),
        doc_number=doc_number,
        txn_date=date(2025, 11, 1),
        line=[
            SalesItemLine(
                amount=Decimal("98.00"),
                description="Pro Plan, Nov 2025",
                sales_item_line_detail=SalesItemLineDetail(
                    item_ref=Ref(value=item_id), qty=Decimal("2"), unit_price=Decimal("49.00")
                ),
            ),
            SalesItemLine(
                amount=Decimal("12.50"),
                sales_item_line_detail=SalesItemLineDetail(
                    item_ref=Ref(value=item_id), qty=Decimal("125"), unit_price=Decimal("0.10")
                ),
            ),
            SalesItemLine(
                amount=Decimal("0.00"),
                sales_item_line_detail=SalesItemLineDetail(
                    item_ref=Ref(value=item_id), qty=Decimal("1"), unit_price=Decimal("0")
                ),
            ),
            DiscountLine(
                amount=Decimal("10.50"),
                discount_line_detail=DiscountLineDetail(percent_based=False),
            ),
            DescriptionOnlyLine(description="Aforo invoice in_abc123"),
        ],
    )


async def held_named(control: EmulatorControl, realm_id: str, name: str) -> int:
    held = await control.live(realm_id, "Customer")
    return sum(1 for record in held if record.body.get("DisplayName") == name)
