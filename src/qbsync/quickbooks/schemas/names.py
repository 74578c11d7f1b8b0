"""Name-list entities on the wire: Customer, Vendor, Item, Account."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from qbsync.quickbooks.schemas.base import (
    EmailAddress,
    Money,
    NameListEntity,
    PhysicalAddress,
    Ref,
    TelephoneNumber,
    WebSiteAddress,
)


class Customer(NameListEntity):
    """DisplayName is unique across customers, vendors and employees (else fault 6240)."""

    entity_name: ClassVar[str] = "Customer"

    title: str | None = None
    given_name: str | None = None
    middle_name: str | None = None
    family_name: str | None = None
    suffix: str | None = None
    fully_qualified_name: str | None = None
    company_name: str | None = None
    display_name: str | None = None
    print_on_check_name: str | None = None
    primary_phone: TelephoneNumber | None = None
    mobile: TelephoneNumber | None = None
    primary_email_addr: EmailAddress | None = None
    web_addr: WebSiteAddress | None = None
    default_tax_code_ref: Ref | None = None
    taxable: bool | None = None
    bill_addr: PhysicalAddress | None = None
    ship_addr: PhysicalAddress | None = None
    notes: str | None = None
    job: bool | None = None
    bill_with_parent: bool | None = None
    parent_ref: Ref | None = None
    level: int | None = None
    sales_term_ref: Ref | None = None
    payment_method_ref: Ref | None = None
    balance: Money | None = None
    balance_with_jobs: Money | None = None
    currency_ref: Ref | None = None
    preferred_delivery_method: str | None = None
    tax_exemption_reason_id: str | None = None


class Vendor(NameListEntity):
    """Read-only here: vendors share the DisplayName namespace with customers."""

    entity_name: ClassVar[str] = "Vendor"

    given_name: str | None = None
    family_name: str | None = None
    company_name: str | None = None
    display_name: str | None = None
    print_on_check_name: str | None = None
    primary_phone: TelephoneNumber | None = None
    primary_email_addr: EmailAddress | None = None
    bill_addr: PhysicalAddress | None = None
    balance: Money | None = None
    acct_num: str | None = None
    vendor1099: bool | None = None
    currency_ref: Ref | None = None


class Item(NameListEntity):
    """A product or service; ``Name`` is unique among items (else fault 6240)."""

    entity_name: ClassVar[str] = "Item"

    name: str | None = None
    sku: str | None = None
    description: str | None = None
    sub_item: bool | None = None
    parent_ref: Ref | None = None
    level: int | None = None
    fully_qualified_name: str | None = None
    taxable: bool | None = None
    unit_price: Money | None = None
    # Service, NonInventory, Inventory, Category, Group: must be sent explicitly.
    type: str | None = None
    income_account_ref: Ref | None = None
    purchase_desc: str | None = None
    purchase_cost: Money | None = None
    expense_account_ref: Ref | None = None
    asset_account_ref: Ref | None = None
    track_qty_on_hand: bool | None = None
    qty_on_hand: Money | None = None
    sales_tax_code_ref: Ref | None = None
    inv_start_date: date | None = None


class Account(NameListEntity):
    entity_name: ClassVar[str] = "Account"

    name: str | None = None
    sub_account: bool | None = None
    parent_ref: Ref | None = None
    description: str | None = None
    fully_qualified_name: str | None = None
    classification: str | None = None
    account_type: str | None = None
    account_sub_type: str | None = None
    acct_num: str | None = None
    current_balance: Money | None = None
    currency_ref: Ref | None = None
    tax_code_ref: Ref | None = None
