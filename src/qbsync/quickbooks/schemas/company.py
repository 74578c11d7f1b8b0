"""Company-level entities on the wire: CompanyInfo and the Preferences we act on."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from qbsync.quickbooks.schemas.base import (
    EmailAddress,
    PhysicalAddress,
    QboEntity,
    QboModel,
    Ref,
    TelephoneNumber,
    WebSiteAddress,
)


class CompanyInfo(QboEntity):
    """``Country`` decides the tax mode (US automated sales tax vs VAT/GST)."""

    entity_name: ClassVar[str] = "CompanyInfo"

    company_name: str | None = None
    legal_name: str | None = None
    company_addr: PhysicalAddress | None = None
    legal_addr: PhysicalAddress | None = None
    email: EmailAddress | None = None
    company_email_addr: EmailAddress | None = None
    primary_phone: TelephoneNumber | None = None
    web_addr: WebSiteAddress | None = None
    company_start_date: date | None = None
    fiscal_year_start_month: str | None = None
    country: str | None = None
    supported_languages: str | None = None
    default_time_zone: str | None = None


class SalesFormsPrefs(QboModel):
    # True: QBO leaves DocNumber to us; False: QBO numbers invoices itself.
    custom_txn_numbers: bool | None = None
    allow_discount: bool | None = None
    allow_deposit: bool | None = None
    allow_shipping: bool | None = None
    allow_service_date: bool | None = None
    # True: QuickBooks applies a customer's credits to their open invoices.
    auto_apply_credit: bool | None = None


class CurrencyPrefs(QboModel):
    multi_currency_enabled: bool | None = None
    home_currency: Ref | None = None


class TaxPrefs(QboModel):
    using_sales_tax: bool | None = None
    # Automated sales tax (US): QuickBooks computes the tax from the addresses.
    partner_tax_enabled: bool | None = None
    tax_group_code_ref: Ref | None = None


class AccountingInfoPrefs(QboModel):
    class_tracking_per_txn: bool | None = None
    class_tracking_per_txn_line: bool | None = None
    track_departments: bool | None = None
    # Transactions dated on or before this fail with 6200/6210.
    book_close_date: date | None = None


class Preferences(QboEntity):
    entity_name: ClassVar[str] = "Preferences"

    accounting_info_prefs: AccountingInfoPrefs | None = None
    sales_forms_prefs: SalesFormsPrefs | None = None
    tax_prefs: TaxPrefs | None = None
    currency_prefs: CurrencyPrefs | None = None
