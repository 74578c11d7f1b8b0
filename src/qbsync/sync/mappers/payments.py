"""Aforo payment -> QBO Payment linked to its invoice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from qbsync.ids import IdCodec
from qbsync.quickbooks.schemas import Ref
from qbsync.quickbooks.schemas.invoice import LinkedTxn
from qbsync.quickbooks.schemas.payment import Payment, PaymentLine
from qbsync.sync.mappers.invoices import money
from qbsync.sync.mappers.text import clean_text

# Payment ids are the payment service's strings, not numbers.
PAYMENT_IDS = IdCodec("payment-", numeric=False)


@dataclass(frozen=True)
class PaymentFacts:
    """A payment as qbsync needs it, from the event when it carries enough, else the
    payment service."""

    payment_id: str
    organization_id: int
    invoice_id: int
    customer_id: int | None
    amount: Decimal
    paid_at: datetime | None
    currency: str | None = None
    payment_method: str | None = None
    reference: str | None = None

    def to_details(self) -> dict[str, Any]:
        """As JSON, to travel with pending work (money as a string, never a float)."""
        return {
            "paymentId": self.payment_id,
            "organizationId": self.organization_id,
            "invoiceId": self.invoice_id,
            "customerId": self.customer_id,
            "amount": str(self.amount),
            "paidAt": self.paid_at.isoformat() if self.paid_at else None,
            "currency": self.currency,
            "paymentMethod": self.payment_method,
            "reference": self.reference,
        }

    @classmethod
    def from_details(cls, details: Mapping[str, Any]) -> PaymentFacts:
        paid_at = details.get("paidAt")
        return cls(
            payment_id=str(details["paymentId"]),
            organization_id=int(details["organizationId"]),
            invoice_id=int(details["invoiceId"]),
            customer_id=details.get("customerId"),
            amount=Decimal(details["amount"]),
            paid_at=datetime.fromisoformat(paid_at) if paid_at else None,
            currency=details.get("currency"),
            payment_method=details.get("paymentMethod"),
            reference=details.get("reference"),
        )


def applied_amount(amount: Decimal, open_balance: Decimal) -> Decimal:
    """A payment applies at most the invoice's open balance; the rest stays unapplied
    (a customer credit in QBO) rather than failing."""
    return max(Decimal(0), min(money(amount), money(open_balance)))


def utc_date(value: datetime) -> date:
    # The UTC date, as for invoices; a naive time is UTC, as the Java services write it.
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).date()


def map_payment(
    payment: PaymentFacts,
    *,
    customer_qbo_id: str,
    invoice_qbo_id: str,
    applied: Decimal,
    deposit_account_id: str | None,
    payment_method_id: str | None,
) -> Payment:
    total = money(payment.amount)
    # In cents and never above the payment itself (QBO refuses lines above TotalAmt).
    applied = min(money(applied), total)
    lines = (
        [
            PaymentLine(
                amount=applied, linked_txn=[LinkedTxn(txn_id=invoice_qbo_id, txn_type="Invoice")]
            )
        ]
        if applied > 0
        else []
    )
    return Payment(
        customer_ref=Ref(value=customer_qbo_id),
        total_amt=total,
        txn_date=utc_date(payment.paid_at) if payment.paid_at else None,
        payment_ref_num=clean_text(payment.reference, max_len=21),
        private_note=f"Aforo payment {payment.payment_id} for Aforo invoice {payment.invoice_id}. Synced by qbsync.",
        line=lines,
        deposit_to_account_ref=Ref(value=deposit_account_id) if deposit_account_id else None,
        payment_method_ref=Ref(value=payment_method_id) if payment_method_id else None,
    )
