"""Turning company settings on the way a client would: a sparse Preferences update."""

from __future__ import annotations

from typing import Any

from support import Qbo, body


async def set_preferences(qbo: Qbo, **groups: dict[str, Any]) -> None:
    current = body(await qbo.get("preferences"))["Preferences"]
    payload = {"Id": current["Id"], "SyncToken": current["SyncToken"], "sparse": True, **groups}
    response = await qbo.post("preferences", payload)
    assert response.status_code == 200, response.text


async def use_automated_sales_tax(qbo: Qbo) -> None:
    await set_preferences(qbo, TaxPrefs={"UsingSalesTax": True, "PartnerTaxEnabled": True})


async def use_multicurrency(qbo: Qbo) -> None:
    await set_preferences(qbo, CurrencyPrefs={"MultiCurrencyEnabled": True})
