"""Payment: applying money to invoices (Line[].LinkedTxn), unapplied remainder, void, delete."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

from qbo_emulator import clock, faults
from qbo_emulator.entities import currency, ledger
from qbo_emulator.entities.accounts import DEPOSIT_TYPES
from qbo_emulator.entities.base import (
    EntityKind,
    WriteOptions,
    check_known,
    decimal,
    money,
    named_ref,
    parse_date,
    ref_value,
    required_ref,
    resolve,
    text,
)
from qbo_emulator.properties import LINE_PROPERTIES, LINKED_TXN_PROPERTIES, PAYMENT_PROPERTIES
from qbo_emulator.realm import Realm, Record
from qbo_emulator.wire import JsonObject

UNDEPOSITED_FUNDS_ID = "4"
# What a payment line may link to: invoices it pays and credit memos it uses to pay them.
APPLIES_TO = ("Invoice", "CreditMemo")


def _applications(
    realm: Realm, raw_lines: object, *, customer_id: str, existing: Record | None
) -> list[JsonObject]:
    """Validated payment lines; each applies an amount to one open invoice of the customer."""
    if raw_lines is None:
        return []
    if not isinstance(raw_lines, list):
        raise faults.required_param("Line")
    lines: list[JsonObject] = []
    applying: dict[tuple[str, str], Decimal] = {}
    targets: dict[tuple[str, str], Record] = {}
    for raw in raw_lines:
        if not isinstance(raw, dict):
            raise faults.required_param("Line")
        check_known(raw, LINE_PROPERTIES, "Line")
        if "Amount" not in raw:
            raise faults.required_param("Line.Amount")
        amount = money(decimal(raw["Amount"], "Line.Amount"))
        if amount < 0:
            raise faults.negative_amount()
        linked = raw.get("LinkedTxn")
        if not isinstance(linked, list) or len(linked) != 1 or not isinstance(linked[0], dict):
            raise faults.required_param("Line.LinkedTxn")
        check_known(linked[0], LINKED_TXN_PROPERTIES, "LinkedTxn")
        txn_type = linked[0].get("TxnType")
        if txn_type not in APPLIES_TO:
            # The emulator applies payments to invoices and credit memos (no journals).
            raise faults.invalid_enumeration("Line.LinkedTxn.TxnType", txn_type)
        txn_id = str(linked[0].get("TxnId", ""))
        target = resolve(realm, str(txn_type), txn_id, "Line.LinkedTxn.TxnId")
        if target.voided or target.body["CustomerRef"]["value"] != customer_id:
            raise faults.object_not_found("Line.LinkedTxn.TxnId")
        key = (str(txn_type), txn_id)
        applying[key] = applying.get(key, ledger.ZERO) + amount
        targets[key] = target
        lines.append({"Amount": amount, "LinkedTxn": [{"TxnId": txn_id, "TxnType": txn_type}]})
    for (txn_type, txn_id), amount in applying.items():
        index = realm.applied if txn_type == "Invoice" else realm.credited
        own = index.get(txn_id, {}).get(existing.id, ledger.ZERO) if existing else ledger.ZERO
        open_amount = (
            ledger.invoice_balance(realm, targets[(txn_type, txn_id)])
            if txn_type == "Invoice"
            else ledger.credit_balance(realm, targets[(txn_type, txn_id)])
        )
        if amount > open_amount + own:
            raise faults.business_validation(
                f"The amount applied to {txn_type} {txn_id} exceeds its open balance",
                "Line.Amount",
            )
    return lines


class PaymentKind(EntityKind):
    name: ClassVar[str] = "Payment"
    properties: ClassVar[frozenset[str]] = PAYMENT_PROPERTIES
    computed: ClassVar[frozenset[str]] = frozenset({"UnappliedAmt"})
    deletable: ClassVar[bool] = True
    void_style: ClassVar[Literal["none", "operation", "include"]] = "include"

    def normalize(
        self,
        realm: Realm,
        body: JsonObject,
        *,
        existing: Record | None,
        options: WriteOptions,  # noqa: ARG002
    ) -> JsonObject:
        check_known(body, PAYMENT_PROPERTIES, "Payment")
        if existing is not None and existing.voided:
            raise faults.business_validation("A voided transaction cannot be changed")
        if existing is not None:
            refuse_if_deposited(realm, existing)
        customer = resolve(realm, "Customer", required_ref(body, "CustomerRef"), "CustomerRef")
        if "TotalAmt" not in body:
            raise faults.required_param("TotalAmt")
        total = money(decimal(body["TotalAmt"], "TotalAmt"))
        if total < 0:
            raise faults.negative_amount("TotalAmt")
        lines = _applications(realm, body.get("Line"), customer_id=customer.id, existing=existing)
        applied = ledger.payment_lines_total(Record("Payment", "", {"Line": lines}))
        if applied > total:
            raise faults.business_validation(
                "The amounts applied are larger than the payment's TotalAmt", "TotalAmt"
            )
        if applied < 0:
            raise faults.business_validation(
                "The credits used are larger than the invoices they pay", "Line.Amount"
            )
        stored = dict(body)
        stored.update(currency.transaction_currency(realm, body, customer))
        if ref_value(body, "PaymentMethodRef") is not None:
            method = resolve(
                realm, "PaymentMethod", required_ref(body, "PaymentMethodRef"), "PaymentMethodRef"
            )
            stored["PaymentMethodRef"] = named_ref(method, "Name")
        stored["CustomerRef"] = named_ref(customer, "DisplayName")
        stored["TotalAmt"] = total
        stored["Line"] = lines
        deposit_id = ref_value(body, "DepositToAccountRef") or UNDEPOSITED_FUNDS_ID
        deposit = resolve(realm, "Account", deposit_id, "DepositToAccountRef")
        if deposit.body.get("AccountType") not in DEPOSIT_TYPES:
            raise faults.invalid_account_type("DepositToAccountRef")
        stored["DepositToAccountRef"] = named_ref(deposit, "Name")
        text(body, "PrivateNote", maximum=4000)
        text(body, "PaymentRefNum", maximum=21)
        stored["TxnDate"] = (parse_date(body, "TxnDate") or clock.company_today()).isoformat()
        stored.setdefault("ProcessPayment", False)
        return stored

    def extra_fields(self, realm: Realm, record: Record) -> JsonObject:
        fields: JsonObject = {"UnappliedAmt": ledger.payment_unapplied(record)}
        deposit_id = realm.deposited.get(("Payment", record.id))
        if deposit_id is not None:
            fields["LinkedTxn"] = [{"TxnId": deposit_id, "TxnType": "Deposit"}]
        fields.update(
            currency.home_fields(
                record, ledger.invoice_total(record), ledger.payment_unapplied(record)
            )
        )
        return fields

    def after_save(self, realm: Realm, record: Record) -> None:
        ledger.apply(realm, record)

    def void(self, realm: Realm, record: Record) -> None:
        refuse_if_deposited(realm, record)
        # A voided payment reads back with TotalAmt 0, no lines, and frees its invoices.
        record.voided = True
        record.body["TotalAmt"] = ledger.ZERO
        record.body["Line"] = []
        note = record.body.get("PrivateNote")
        record.body["PrivateNote"] = f"Voided - {note}" if note else "Voided"
        ledger.unapply(realm, record.id)

    def before_delete(self, realm: Realm, record: Record) -> None:
        refuse_if_deposited(realm, record)
        ledger.unapply(realm, record.id)


def refuse_if_deposited(realm: Realm, record: Record) -> None:
    """A payment in a bank deposit is frozen until the deposit lets go of it (6540)."""
    if (record.entity, record.id) in realm.deposited:
        raise faults.deposited_transaction()
