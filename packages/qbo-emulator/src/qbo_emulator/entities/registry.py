"""Which entity kinds exist, looked up by JSON name (``Invoice``) or URL segment (``invoice``)."""

from __future__ import annotations

from qbo_emulator.entities.accounts import AccountKind
from qbo_emulator.entities.base import EntityKind
from qbo_emulator.entities.company import (
    CompanyInfoKind,
    EmployeeKind,
    PreferencesKind,
    VendorKind,
)
from qbo_emulator.entities.currency import CompanyCurrencyKind, ExchangeRateKind
from qbo_emulator.entities.customers import CustomerKind
from qbo_emulator.entities.deposits import DepositKind
from qbo_emulator.entities.invoices import InvoiceKind
from qbo_emulator.entities.items import ItemKind
from qbo_emulator.entities.lists import ClassKind, DepartmentKind, PaymentMethodKind, TermKind
from qbo_emulator.entities.payments import PaymentKind
from qbo_emulator.entities.sales_forms import CreditMemoKind, RefundReceiptKind, SalesReceiptKind
from qbo_emulator.entities.tax import TaxCodeKind, TaxRateKind

KINDS: tuple[EntityKind, ...] = (
    CustomerKind(),
    ItemKind(),
    AccountKind(),
    InvoiceKind(),
    PaymentKind(),
    CompanyInfoKind(),
    PreferencesKind(),
    VendorKind(),
    EmployeeKind(),
    PaymentMethodKind(),
    TermKind(),
    TaxCodeKind(),
    TaxRateKind(),
    SalesReceiptKind(),
    RefundReceiptKind(),
    CreditMemoKind(),
    DepositKind(),
    CompanyCurrencyKind(),
    ExchangeRateKind(),
    ClassKind(),
    DepartmentKind(),
)
_BY_NAME = {kind.name.casefold(): kind for kind in KINDS}


def kind_named(name: str) -> EntityKind | None:
    """Entity names are case-insensitive in queries and batch items."""
    return _BY_NAME.get(name.casefold())


def kind_at(path_segment: str) -> EntityKind | None:
    """URL segments are lower-case and case sensitive (``/invoice``, not ``/Invoice``)."""
    kind = _BY_NAME.get(path_segment)
    return kind if kind is not None and kind.path == path_segment else None
