"""Invoices on the wire, with their line types (sales item, discount, subtotal, description)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Discriminator, Field, Tag

from qbsync.quickbooks.schemas.base import (
    EmailAddress,
    MemoRef,
    Money,
    PhysicalAddress,
    QboModel,
    Ref,
    TransactionEntity,
)


class LinkedTxn(QboModel):
    """A link to another transaction (an invoice's payments, a payment's invoices)."""

    txn_id: str
    txn_type: str | None = None
    txn_line_id: str | None = None


class SalesItemLineDetail(QboModel):
    item_ref: Ref | None = None
    class_ref: Ref | None = None
    # QBO checks Amount == Qty * UnitPrice (fault 6070); keep all three Decimal.
    unit_price: Money | None = None
    qty: Money | None = None
    item_account_ref: Ref | None = None
    tax_code_ref: Ref | None = None
    service_date: date | None = None


class DiscountLineDetail(QboModel):
    percent_based: bool | None = None
    # 8.5 means 8.5 %.
    discount_percent: Decimal | None = None
    discount_account_ref: Ref | None = None


class SubTotalLineDetail(QboModel):
    item_ref: Ref | None = None


class DescriptionLineDetail(QboModel):
    service_date: date | None = None
    tax_code_ref: Ref | None = None


class _LineBase(QboModel):
    # Line Id: an existing Id updates that line; no Id adds a line. Sending Line replaces
    # the whole collection, even in a sparse update.
    id: str | None = None
    line_num: int | None = None
    description: str | None = None
    amount: Money | None = None


class SalesItemLine(_LineBase):
    detail_type: Literal["SalesItemLineDetail"] = "SalesItemLineDetail"
    sales_item_line_detail: SalesItemLineDetail


class DiscountLine(_LineBase):
    detail_type: Literal["DiscountLineDetail"] = "DiscountLineDetail"
    discount_line_detail: DiscountLineDetail


class SubTotalLine(_LineBase):
    """QBO adds this to every answer; there is no need to send it."""

    detail_type: Literal["SubTotalLineDetail"] = "SubTotalLineDetail"
    sub_total_line_detail: SubTotalLineDetail = Field(default_factory=SubTotalLineDetail)


class DescriptionOnlyLine(_LineBase):
    detail_type: Literal["DescriptionOnly"] = "DescriptionOnly"
    description_line_detail: DescriptionLineDetail | None = None


class OtherLine(_LineBase):
    """Any other line type QBO returns (group lines, tax lines); kept so reads never fail."""

    detail_type: str


_KNOWN_LINES = {
    "SalesItemLineDetail",
    "DiscountLineDetail",
    "SubTotalLineDetail",
    "DescriptionOnly",
}


def _line_tag(value: Any) -> str:
    """Pick the line model from DetailType; unknown types fall back to OtherLine."""
    if isinstance(value, dict):
        detail = value.get("DetailType", value.get("detail_type"))
    else:
        detail = getattr(value, "detail_type", None)
    return detail if detail in _KNOWN_LINES else "other"


Line = Annotated[
    Annotated[SalesItemLine, Tag("SalesItemLineDetail")]
    | Annotated[DiscountLine, Tag("DiscountLineDetail")]
    | Annotated[SubTotalLine, Tag("SubTotalLineDetail")]
    | Annotated[DescriptionOnlyLine, Tag("DescriptionOnly")]
    | Annotated[OtherLine, Tag("other")],
    Discriminator(_line_tag),
]


class TxnTaxDetail(QboModel):
    txn_tax_code_ref: Ref | None = None
    total_tax: Money | None = None


class Invoice(TransactionEntity):
    """DocNumber is at most 21 characters; a duplicate gives fault 6140."""

    entity_name: ClassVar[str] = "Invoice"

    # None (not []) by default: a sparse update must not send an empty Line by accident.
    line: list[Line] | None = None
    linked_txn: list[LinkedTxn] | None = None
    txn_tax_detail: TxnTaxDetail | None = None
    customer_ref: Ref | None = None
    customer_memo: MemoRef | None = None
    bill_addr: PhysicalAddress | None = None
    ship_addr: PhysicalAddress | None = None
    class_ref: Ref | None = None
    department_ref: Ref | None = None
    sales_term_ref: Ref | None = None
    due_date: date | None = None
    global_tax_calculation: str | None = None
    home_total_amt: Money | None = None
    apply_tax_after_discount: bool | None = None
    print_status: str | None = None
    email_status: str | None = None
    bill_email: EmailAddress | None = None
    balance: Money | None = None
    home_balance: Money | None = None
    deposit: Money | None = None
    allow_online_credit_card_payment: bool | None = None
    allow_online_ach_payment: bool | None = Field(default=None, alias="AllowOnlineACHPayment")
