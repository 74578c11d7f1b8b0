"""Refunds -> QBO RefundReceipt: money paid back to the customer out of an account."""

from __future__ import annotations

from decimal import Decimal

from qbsync.aforo.refunds import AforoRefund
from qbsync.errors import InvalidInput
from qbsync.ids import IdCodec
from qbsync.quickbooks.schemas import Ref, RefundReceipt, SalesItemLine, SalesItemLineDetail
from qbsync.sync.mappers.invoices import money
from qbsync.sync.mappers.payments import utc_date
from qbsync.sync.mappers.text import clean_text

# Refund ids are the payment service's strings, like payment ids.
REFUND_IDS = IdCodec("refund-", numeric=False)


def refund_aforo_id(refund_id: str) -> str:
    return REFUND_IDS.format(refund_id)


def refundable(amount: Decimal, *, paid: Decimal, refunded_before: Decimal) -> Decimal:
    """A refund never gives back more than was paid and not yet refunded."""
    wanted = money(amount)
    if wanted <= 0:
        raise InvalidInput(f"a refund must be positive (got {amount})")
    left = money(paid) - money(refunded_before)
    if wanted > left:
        raise InvalidInput(
            f"refund of {wanted} is more than what is left of the payment ({left} of {money(paid)})",
            hint="check the refunds of this payment in Aforo",
        )
    return wanted


def refund_note(refund_id: object, payment_id: object) -> str:
    """How a refund receipt's PrivateNote begins: the refund and the payment it gives back
    (``sync/refunds`` finds a payment's earlier refunds by it)."""
    return f"Aforo refund {refund_id} of payment {payment_id} "


def map_refund(
    refund: AforoRefund,
    *,
    customer_qbo_id: str,
    item_ref: Ref,
    refund_from_account_id: str,
    payment_method_id: str | None,
    currency_ref: Ref | None = None,
    tax_code_id: str | None = None,
) -> RefundReceipt:
    amount = money(refund.amount)
    kind = "Refund" if refund.reason is None else f"Refund ({refund.reason})"
    return RefundReceipt(
        txn_date=utc_date(refund.refunded_at),
        customer_ref=Ref(value=customer_qbo_id),
        currency_ref=currency_ref,
        line=[
            SalesItemLine(
                amount=amount,
                description=clean_text(
                    f"{kind} of Aforo payment {refund.payment_id} for invoice {refund.invoice_id}",
                    max_len=4000,
                ),
                sales_item_line_detail=SalesItemLineDetail(
                    item_ref=item_ref,
                    qty=Decimal(1),
                    unit_price=amount,
                    tax_code_ref=Ref(value=tax_code_id) if tax_code_id else None,
                ),
            )
        ],
        deposit_to_account_ref=Ref(value=refund_from_account_id),
        payment_method_ref=Ref(value=payment_method_id) if payment_method_id else None,
        payment_ref_num=clean_text(refund.reference, max_len=21),
        private_note=(
            f"{refund_note(refund.id, refund.payment_id)}(invoice {refund.invoice_id}). "
            "Synced by qbsync."
        )[:4000],
    )
