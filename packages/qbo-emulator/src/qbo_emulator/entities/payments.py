"""Payment: applying money to invoices (Line[].LinkedTxn), unapplied remainder, void, delete."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

from qbo_emulator import clock, faults
from qbo_emulator.entities import ledger
from qbo_emulator.entities.accounts import DEPOSIT_TYPES
from qbo_emulator.entities.base import (
    USD,
    EntityKind,
    WriteOptions,
    check_known,
    decimal,
    money,
    named_ref,
    ref_value,
    required_ref,
    resolve,
    text,
)
from qbo_emulator.entities.invoices import parse_date
from qbo_emulator.properties import LINE_PROPERTIES, LINKED_TXN_PROPERTIES, PAYMENT_PROPERTIES
from qbo_emulator.realm import Realm, Record
from qbo_emulator.wire import JsonObject

UNDEPOSITED_FUNDS_ID = "4"


def _applications(
    realm: Realm, raw_lines: object, *, customer_id: str, existing: Record | None
) -> list[JsonObject]:
    """Validated payment lines; each applies an amount to one open invoice of the customer."""
    if raw_lines is None:
        return []
    if not isinstance(raw_lines, list):
        raise faults.required_param("Line")
    lines: list[JsonObject] = []
    applying: dict[str, Decimal] = {}
    invoices: dict[str, Record] = {}
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
        if txn_type != "Invoice":
            # The emulator applies payments to invoices only (no credit memos or journals).
            raise faults.invalid_enumeration("Line.LinkedTxn.TxnType", txn_type)
        txn_id = str(linked[0].get("TxnId", ""))
        invoice = resolve(realm, "Invoice", txn_id, "Line.LinkedTxn.TxnId")
        if invoice.voided or invoice.body["CustomerRef"]["value"] != customer_id:
            raise faults.object_not_found("Line.LinkedTxn.TxnId")
        applying[txn_id] = applying.get(txn_id, ledger.ZERO) + amount
        invoices[txn_id] = invoice
        lines.append({"Amount": amount, "LinkedTxn": [{"TxnId": txn_id, "TxnType": "Invoice"}]})
    for txn_id, amount in applying.items():
        own = (
            realm.applied.get(txn_id, {}).get(existing.id, ledger.ZERO) if existing else ledger.ZERO
        )
        if amount > ledger.invoice_balance(realm, invoices[txn_id]) + own:
            raise faults.business_validation(
                f"The amount applied to invoice {txn_id} exceeds its open balance", "Line.Amount"
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
        customer = resolve(realm, "Customer", required_ref(body, "CustomerRef"), "CustomerRef")
        if "TotalAmt" not in body:
            raise faults.required_param("TotalAmt")
        total = money(decimal(body["TotalAmt"], "TotalAmt"))
        if total < 0:
            raise faults.negative_amount("TotalAmt")
        lines = _applications(realm, body.get("Line"), customer_id=customer.id, existing=existing)
        if sum((line["Amount"] for line in lines), ledger.ZERO) > total:
            raise faults.business_validation(
                "The amounts applied are larger than the payment's TotalAmt", "TotalAmt"
            )
        stored = dict(body)
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
        stored.setdefault("CurrencyRef", dict(USD))
        stored.setdefault("ProcessPayment", False)
        return stored

    def extra_fields(self, realm: Realm, record: Record) -> JsonObject:  # noqa: ARG002
        return {"UnappliedAmt": ledger.payment_unapplied(record)}

    def after_save(self, realm: Realm, record: Record) -> None:
        ledger.apply(realm, record)

    def void(self, realm: Realm, record: Record) -> None:
        # A voided payment reads back with TotalAmt 0, no lines, and frees its invoices.
        record.voided = True
        record.body["TotalAmt"] = ledger.ZERO
        record.body["Line"] = []
        note = record.body.get("PrivateNote")
        record.body["PrivateNote"] = f"Voided - {note}" if note else "Voided"
        ledger.unapply(realm, record.id)

    def before_delete(self, realm: Realm, record: Record) -> None:
        ledger.unapply(realm, record.id)
