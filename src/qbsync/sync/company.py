"""A company's tax and currency setup (CompanyInfo + Preferences), read once per realm and
kept a few minutes: every invoice needs it, and QuickBooks meters reads."""

from __future__ import annotations

import asyncio
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
# The read under way for a realm: a burst's first invoices of a new company wait for it
# rather than each reading the company (a group's members start together).
_reading: dict[str, asyncio.Task[CompanySetup]] = {}


async def company_setup(ctx: SyncContext) -> CompanySetup:
    realm_id = ctx.realm_id
    held = _cache.get(realm_id)
    if held is not None and time.monotonic() - held[0] < TTL_S:
        return held[1]
    reading = _reading.get(realm_id)
    if reading is None:
        reading = _reading[realm_id] = asyncio.create_task(_read(ctx))
        reading.add_done_callback(lambda done: _forget_read(realm_id, done))
    return await asyncio.shield(reading)


async def _read(ctx: SyncContext) -> CompanySetup:
    # Both at once (a new company's first invoices wait on them); either's error is raised.
    read_company, read_prefs = await asyncio.gather(
        ctx.qbo.company_info(), ctx.qbo.preferences(), return_exceptions=True
    )
    if isinstance(read_company, BaseException):
        raise read_company
    if isinstance(read_prefs, BaseException):
        raise read_prefs
    company, prefs = read_company, read_prefs
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


def _forget_read(realm_id: str, done: asyncio.Task[CompanySetup]) -> None:
    if _reading.get(realm_id) is done:
        del _reading[realm_id]


def forget(realm_id: str) -> None:
    """Read the setup again next time (a person changed the company's preferences)."""
    _cache.pop(realm_id, None)
    _reading.pop(realm_id, None)
