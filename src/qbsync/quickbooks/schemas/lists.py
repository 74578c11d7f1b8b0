"""The company's lists a person maps Aforo onto: tax codes and rates, terms, payment methods,
classes, departments, currencies and exchange rates (read here, never created silently)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from qbsync.quickbooks.schemas.base import NameListEntity, QboEntity, QboModel, Ref


class TaxRateDetail(QboModel):
    tax_rate_ref: Ref | None = None
    tax_type_applicable: str | None = None
    tax_order: int | None = None


class TaxRateList(QboModel):
    tax_rate_detail: list[TaxRateDetail] | None = None


class TaxCode(NameListEntity):
    """Read-only through the API; new codes come from ``POST /taxservice/taxcode``. US
    companies also use the pseudo codes ``TAX`` and ``NON`` on lines."""

    entity_name: ClassVar[str] = "TaxCode"

    name: str | None = None
    description: str | None = None
    taxable: bool | None = None
    tax_group: bool | None = None
    sales_tax_rate_list: TaxRateList | None = None


class TaxRate(NameListEntity):
    entity_name: ClassVar[str] = "TaxRate"

    name: str | None = None
    description: str | None = None
    # 8.5 means 8.5 %.
    rate_value: Decimal | None = None
    agency_ref: Ref | None = None


class Term(NameListEntity):
    """Net days (``DueDays``) or a day of the month (``DayOfMonthDue``)."""

    entity_name: ClassVar[str] = "Term"

    name: str | None = None
    type: str | None = None
    due_days: int | None = None
    day_of_month_due: int | None = None


class PaymentMethod(NameListEntity):
    entity_name: ClassVar[str] = "PaymentMethod"

    name: str | None = None
    # CREDIT_CARD or NON_CREDIT_CARD
    type: str | None = None


class QboClass(NameListEntity):
    """QuickBooks' ``Class`` (renamed: ``class`` is a Python keyword)."""

    entity_name: ClassVar[str] = "Class"

    name: str | None = None
    fully_qualified_name: str | None = None
    sub_class: bool | None = None


class Department(NameListEntity):
    """A location (QuickBooks calls it Department on the wire)."""

    entity_name: ClassVar[str] = "Department"

    name: str | None = None
    fully_qualified_name: str | None = None
    sub_department: bool | None = None


class CompanyCurrency(NameListEntity):
    """A currency a multi-currency company has turned on (``Code`` is its ISO code)."""

    entity_name: ClassVar[str] = "CompanyCurrency"

    code: str | None = None
    name: str | None = None


class ExchangeRate(QboEntity):
    """Units of home currency per unit of ``SourceCurrencyCode`` on ``AsOfDate``."""

    entity_name: ClassVar[str] = "ExchangeRate"

    source_currency_code: str | None = None
    target_currency_code: str | None = None
    rate: Decimal | None = None
    as_of_date: date | None = None
