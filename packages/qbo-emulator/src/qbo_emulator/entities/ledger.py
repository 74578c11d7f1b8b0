"""Accounts-receivable arithmetic: invoice and credit-memo balances, payment applications,
customer balances, and what the money accounts (bank, Undeposited Funds) hold."""

from __future__ import annotations

from decimal import Decimal

from qbo_emulator.realm import Realm, Record

ZERO = Decimal("0")
# Transactions that put money into (or take it out of) their DepositToAccountRef.
MONEY_IN = ("Payment", "SalesReceipt", "Deposit")
MONEY_OUT = ("RefundReceipt",)


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


def credit_used(realm: Realm, credit_memo_id: str) -> Decimal:
    return sum(realm.credited.get(credit_memo_id, {}).values(), ZERO)


def credit_balance(realm: Realm, record: Record) -> Decimal:
    """What is left of a credit memo to apply (its ``Balance``)."""
    return invoice_total(record) - credit_used(realm, record.id)


def _lines_total(record: Record, txn_type: str) -> Decimal:
    return sum(
        (
            _amount(line["Amount"])
            for line in record.body.get("Line") or []
            if line["LinkedTxn"][0]["TxnType"] == txn_type
        ),
        ZERO,
    )


def payment_lines_total(record: Record) -> Decimal:
    """The money a payment applies: invoices paid less the credit memos used to pay them."""
    return _lines_total(record, "Invoice") - _lines_total(record, "CreditMemo")


def payment_unapplied(record: Record) -> Decimal:
    if record.voided or record.deleted:
        return ZERO
    return _amount(record.body.get("TotalAmt", ZERO)) - payment_lines_total(record)


def _customer_of(record: Record, customer_id: str) -> bool:
    return bool(record.body.get("CustomerRef", {}).get("value") == customer_id)


def customer_balance(realm: Realm, customer_id: str) -> Decimal:
    """Open invoices less unapplied payments and unused credit memos, as Customer.Balance."""
    owed = sum(
        (invoice_balance(realm, r) for r in realm.all("Invoice") if _customer_of(r, customer_id)),
        ZERO,
    )
    credit = sum(
        (payment_unapplied(r) for r in realm.all("Payment") if _customer_of(r, customer_id)),
        ZERO,
    )
    credit += sum(
        (credit_balance(realm, r) for r in realm.all("CreditMemo") if _customer_of(r, customer_id)),
        ZERO,
    )
    return owed - credit


def unapply(realm: Realm, payment_id: str) -> None:
    for index in (realm.applied, realm.credited):
        for applications in index.values():
            applications.pop(payment_id, None)


def apply(realm: Realm, payment: Record) -> None:
    """Re-index which invoices ``payment`` pays and which credit memos it uses."""
    unapply(realm, payment.id)
    if payment.voided or payment.deleted:
        return
    for line in payment.body.get("Line") or []:
        for linked in line.get("LinkedTxn", []):
            index = realm.applied if linked.get("TxnType") == "Invoice" else realm.credited
            bucket = index[linked["TxnId"]]
            bucket[payment.id] = bucket.get(payment.id, ZERO) + _amount(line["Amount"])


def payments_of(realm: Realm, invoice_id: str) -> list[str]:
    return sorted(realm.applied.get(invoice_id, {}), key=int)


def credit_payments_of(realm: Realm, credit_memo_id: str) -> list[str]:
    return sorted(realm.credited.get(credit_memo_id, {}), key=int)


def account_balance(realm: Realm, account_id: str) -> Decimal:
    """Money held in a bank or Undeposited Funds account: receipts in, refunds out, and
    deposited payments moved from Undeposited Funds to the deposit's bank account."""
    balance = ZERO
    for entity in (*MONEY_IN, *MONEY_OUT):
        for record in realm.all(entity):
            if record.voided or record.deleted:
                continue
            if record.body.get("DepositToAccountRef", {}).get("value") != account_id:
                continue
            total = _amount(record.body.get("TotalAmt", ZERO))
            balance += -total if entity in MONEY_OUT else total
    for entity, record_id in realm.deposited:
        source = realm.get(entity, record_id)
        if (
            source is not None
            and source.body.get("DepositToAccountRef", {}).get("value") == account_id
        ):
            balance -= _amount(source.body.get("TotalAmt", ZERO))
    return balance
