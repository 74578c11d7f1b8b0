"""What a person may map Aforo onto: the company's accounts, items, payment methods, tax
codes, terms, classes and departments, and the preferences that decide which apply."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.query import Q
from qbsync.quickbooks.reads import ReadPurpose, reads_for
from qbsync.quickbooks.schemas import (
    Account,
    Department,
    Item,
    PaymentMethod,
    QboClass,
    TaxCode,
    TaxRate,
    Term,
)
from qbsync.sync.mappers.currency import currency_setup
from qbsync.sync.mappers.tax import TaxMode, tax_setup

INCOME_TYPES = frozenset({"Income", "Other Income"})
# Where received money can wait or land (Undeposited Funds is an Other Current Asset).
DEPOSIT_TYPES = frozenset({"Bank", "Other Current Asset"})


class _Camel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, serialize_by_alias=True, validate_by_name=True, frozen=True
    )


class Choice(_Camel):
    id: str
    name: str
    type: str | None = None
    # A tax code's combined rate in percent, when the company's rates say it.
    rate: Decimal | None = None


class CompanyFacts(_Camel):
    country: str | None
    tax_mode: TaxMode
    automated_sales_tax: bool
    multi_currency: bool
    home_currency: str
    tracks_classes: bool
    tracks_departments: bool
    auto_apply_credit: bool


class Choices(_Camel):
    company: CompanyFacts
    income_accounts: list[Choice]
    deposit_accounts: list[Choice]
    items: list[Choice]
    payment_methods: list[Choice]
    terms: list[Choice]
    tax_codes: list[Choice]
    classes: list[Choice]
    departments: list[Choice]


def _tax_code_rate(code: TaxCode, rates: dict[str, Decimal]) -> Decimal | None:
    details = code.sales_tax_rate_list.tax_rate_detail if code.sales_tax_rate_list else None
    values = [rates.get(d.tax_rate_ref.value) for d in details or [] if d.tax_rate_ref]
    if not values or any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal(0))


async def load_choices(qbo: QuickBooksClient) -> Choices:
    active = Q.eq("Active", True)
    # A person asked for these lists (the settings page): past the read budget's hard
    # threshold they wait, as every read not needed by a write does.
    with reads_for(ReadPurpose.PERSON):
        company, prefs = await asyncio.gather(qbo.company_info(), qbo.preferences())
        # Two rounds of four: within QuickBooks' 10 requests in flight per company.
        accounts, items, methods, terms = await asyncio.gather(
            qbo.query(Account, active),
            qbo.query(Item, active),
            qbo.query(PaymentMethod, active),
            qbo.query(Term, active),
        )
        codes, rates, classes, departments = await asyncio.gather(
            qbo.query(TaxCode, active),
            qbo.query(TaxRate, active),
            qbo.query(QboClass, active),
            qbo.query(Department, active),
        )
    tax = tax_setup(company, prefs)
    currency = currency_setup(prefs)
    accounting = prefs.accounting_info_prefs
    forms = prefs.sales_forms_prefs
    rate_values = {r.id: r.rate_value for r in rates if r.id and r.rate_value is not None}
    return Choices(
        company=CompanyFacts(
            country=company.country,
            tax_mode=tax.mode,
            automated_sales_tax=tax.automated,
            multi_currency=currency.multi_currency,
            home_currency=currency.home,
            tracks_classes=bool(accounting and accounting.class_tracking_per_txn),
            tracks_departments=bool(accounting and accounting.track_departments),
            auto_apply_credit=bool(forms and forms.auto_apply_credit),
        ),
        income_accounts=[
            Choice(id=a.id, name=a.name or "", type=a.account_type)
            for a in accounts
            if a.id and a.account_type in INCOME_TYPES
        ],
        deposit_accounts=[
            Choice(id=a.id, name=a.name or "", type=a.account_type)
            for a in accounts
            if a.id and a.account_type in DEPOSIT_TYPES
        ],
        items=[
            Choice(id=i.id, name=i.name or "", type=i.type)
            for i in items
            if i.id and i.type in {"Service", "NonInventory"}
        ],
        payment_methods=[Choice(id=m.id, name=m.name or "", type=m.type) for m in methods if m.id],
        terms=[Choice(id=t.id, name=t.name or "", type=t.type) for t in terms if t.id],
        tax_codes=[
            Choice(id=c.id, name=c.name or "", rate=_tax_code_rate(c, rate_values))
            for c in codes
            if c.id
        ],
        classes=[
            Choice(id=c.id, name=c.fully_qualified_name or c.name or "") for c in classes if c.id
        ],
        departments=[
            Choice(id=d.id, name=d.fully_qualified_name or d.name or "")
            for d in departments
            if d.id
        ],
    )
