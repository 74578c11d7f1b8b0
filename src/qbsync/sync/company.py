"""A company's tax and currency setup (CompanyInfo + Preferences), read once per realm and
kept a few minutes: every invoice needs it, and QuickBooks meters reads."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from qbsync.quickbooks.query import Q
from qbsync.quickbooks.schemas import TaxCode
from qbsync.sync.context import SyncContext
from qbsync.sync.mappers.currency import CurrencySetup, currency_setup
from qbsync.sync.mappers.tax import TaxMode, TaxSetup, tax_setup

TTL_S = 300.0


@dataclass(frozen=True)
class CompanySetup:
    tax: TaxSetup
    currency: CurrencySetup
    auto_apply_credit: bool
    tracks_classes: bool
    tracks_departments: bool


_cache: dict[str, tuple[float, CompanySetup]] = {}


async def company_setup(ctx: SyncContext) -> CompanySetup:
    held = _cache.get(ctx.realm_id)
    if held is not None and time.monotonic() - held[0] < TTL_S:
        return held[1]
    company = await ctx.qbo.company_info()
    prefs = await ctx.qbo.preferences()
    accounting = prefs.accounting_info_prefs
    tax = tax_setup(company, prefs)
    if tax.mode == TaxMode.US and tax.us_code_id is None:
        # No default sales tax code in the preferences: the override names the company's
        # first active code, the one automated sales tax falls back to.
        codes = await ctx.qbo.query(TaxCode, Q.eq("Active", True))
        ids = sorted((c.id for c in codes if c.id and c.id.isdigit()), key=int)
        tax = replace(tax, us_code_id=ids[0] if ids else None)
    setup = CompanySetup(
        tax=tax,
        currency=currency_setup(prefs),
        auto_apply_credit=bool(
            prefs.sales_forms_prefs and prefs.sales_forms_prefs.auto_apply_credit
        ),
        tracks_classes=bool(accounting and accounting.class_tracking_per_txn),
        tracks_departments=bool(accounting and accounting.track_departments),
    )
    _cache[ctx.realm_id] = (time.monotonic(), setup)
    return setup


def forget(realm_id: str) -> None:
    """Read the setup again next time (a person changed the company's preferences)."""
    _cache.pop(realm_id, None)
