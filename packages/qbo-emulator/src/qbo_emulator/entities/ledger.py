"""Accounts-receivable arithmetic: invoice balances, payment applications, customer balances."""

from __future__ import annotations

from decimal import Decimal

from qbo_emulator.realm import Realm, Record

ZERO = Decimal("0")


def _amount(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def invoice_total(record: Record) -> Decimal:
    if record.voided or record.deleted:
        return ZERO
    return _amount(record.body.get("TotalAmt", ZERO))


def invoice_balance(realm: Realm, record: Record) -> Decimal:
    if record.voided or record.deleted:
        return ZERO
    return invoice_total(record) - realm.invoice_paid(record.id)


def payment_lines_total(record: Record) -> Decimal:
    lines = record.body.get("Line") or []
    return sum((_amount(line["Amount"]) for line in lines), ZERO)


def payment_unapplied(record: Record) -> Decimal:
    if record.voided or record.deleted:
        return ZERO
    return _amount(record.body.get("TotalAmt", ZERO)) - payment_lines_total(record)


def customer_balance(realm: Realm, customer_id: str) -> Decimal:
    """Open invoices less unapplied payment credit, as QBO's Customer.Balance."""
    owed = sum(
        (
            invoice_balance(realm, invoice)
            for invoice in realm.all("Invoice")
            if invoice.body.get("CustomerRef", {}).get("value") == customer_id
        ),
        ZERO,
    )
    credit = sum(
        (
            payment_unapplied(payment)
            for payment in realm.all("Payment")
            if payment.body.get("CustomerRef", {}).get("value") == customer_id
        ),
        ZERO,
    )
    return owed - credit


def unapply(realm: Realm, payment_id: str) -> None:
    for applications in realm.applied.values():
        applications.pop(payment_id, None)


def apply(realm: Realm, payment: Record) -> None:
    """Re-index which invoices ``payment`` pays, replacing its previous applications."""
    unapply(realm, payment.id)
    if payment.voided or payment.deleted:
        return
    for line in payment.body.get("Line") or []:
        for linked in line.get("LinkedTxn", []):
            if linked.get("TxnType") == "Invoice":
                bucket = realm.applied[linked["TxnId"]]
                bucket[payment.id] = bucket.get(payment.id, ZERO) + _amount(line["Amount"])


def payments_of(realm: Realm, invoice_id: str) -> list[str]:
    return sorted(realm.applied.get(invoice_id, {}), key=int)
