"""Payments on the wire: a payment is applied to invoices through ``LinkedTxn`` lines."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from qbsync.quickbooks.schemas.base import Money, QboModel, Ref, TransactionEntity
from qbsync.quickbooks.schemas.invoice import LinkedTxn


class PaymentLine(QboModel):
    """``Amount`` of this payment applied to the linked invoice(s)."""

    amount: Money | None = None
    linked_txn: list[LinkedTxn] | None = None


class Payment(TransactionEntity):
    """TotalAmt above the sum of the lines stays unapplied (a customer credit)."""

    entity_name: ClassVar[str] = "Payment"

    line: list[PaymentLine] | None = None
    customer_ref: Ref | None = None
    ar_account_ref: Ref | None = Field(default=None, alias="ARAccountRef")
    deposit_to_account_ref: Ref | None = None
    payment_method_ref: Ref | None = None
    payment_ref_num: str | None = None
    unapplied_amt: Money | None = None
    process_payment: bool | None = None
