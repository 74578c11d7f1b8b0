"""Money going back to a customer on the wire: CreditMemo and RefundReceipt."""

from __future__ import annotations

from typing import ClassVar

from qbsync.quickbooks.schemas.base import MemoRef, Money, Ref, TransactionEntity
from qbsync.quickbooks.schemas.invoice import Line, LinkedTxn, TxnTaxDetail


class _SalesReturn(TransactionEntity):
    """The sales-transaction fields both share (Intuit's SalesTransaction)."""

    line: list[Line] | None = None
    txn_tax_detail: TxnTaxDetail | None = None
    customer_ref: Ref | None = None
    customer_memo: MemoRef | None = None
    class_ref: Ref | None = None
    department_ref: Ref | None = None
    global_tax_calculation: str | None = None
    home_total_amt: Money | None = None
    balance: Money | None = None


class CreditMemo(_SalesReturn):
    """A credit for a customer. QuickBooks cannot void one (only delete it), and it reaches
    an invoice only through a Payment line linking both (``TxnType: CreditMemo``)."""

    entity_name: ClassVar[str] = "CreditMemo"

    linked_txn: list[LinkedTxn] | None = None
    home_balance: Money | None = None
    remaining_credit: Money | None = None


class RefundReceipt(_SalesReturn):
    """Money paid back out of an account (``DepositToAccountRef``, a Bank or Other Current
    Asset account: required); it has no void, only delete."""

    entity_name: ClassVar[str] = "RefundReceipt"

    payment_method_ref: Ref | None = None
    payment_ref_num: str | None = None
    deposit_to_account_ref: Ref | None = None
