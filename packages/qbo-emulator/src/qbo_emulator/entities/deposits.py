"""Deposit: moves payments (and sales receipts) out of Undeposited Funds into a bank
account, plus other money lines (``DepositLineDetail`` with an account)."""

from __future__ import annotations

from typing import ClassVar

from qbo_emulator import clock, faults
from qbo_emulator.entities import ledger
from qbo_emulator.entities.base import (
    USD,
    EntityKind,
    WriteOptions,
    check_known,
    decimal,
    money,
    named_ref,
    parse_date,
    required_ref,
    resolve,
    text,
)
from qbo_emulator.entities.payments import UNDEPOSITED_FUNDS_ID
from qbo_emulator.form_properties import DEPOSIT_LINE_DETAIL_PROPERTIES, DEPOSIT_PROPERTIES
from qbo_emulator.properties import LINE_PROPERTIES, LINKED_TXN_PROPERTIES
from qbo_emulator.realm import Realm, Record
from qbo_emulator.wire import JsonObject

DEPOSITABLE = ("Payment", "SalesReceipt")


def _linked_line(realm: Realm, raw: JsonObject, deposit: Record | None) -> JsonObject:
    linked = raw["LinkedTxn"]
    if not isinstance(linked, list) or len(linked) != 1 or not isinstance(linked[0], dict):
        raise faults.required_param("Line.LinkedTxn")
    check_known(linked[0], LINKED_TXN_PROPERTIES, "LinkedTxn")
    txn_type = linked[0].get("TxnType")
    if txn_type not in DEPOSITABLE:
        raise faults.invalid_enumeration("Line.LinkedTxn.TxnType", txn_type)
    txn_id = str(linked[0].get("TxnId", ""))
    source = resolve(realm, str(txn_type), txn_id, "Line.LinkedTxn.TxnId")
    held_by = realm.deposited.get((str(txn_type), txn_id))
    if source.voided or (held_by is not None and (deposit is None or held_by != deposit.id)):
        raise faults.business_validation(
            f"{txn_type} {txn_id} is voided or already in another deposit", "Line.LinkedTxn"
        )
    if source.body.get("DepositToAccountRef", {}).get("value") != UNDEPOSITED_FUNDS_ID:
        raise faults.business_validation(
            f"{txn_type} {txn_id} is not in Undeposited Funds", "Line.LinkedTxn"
        )
    amount = ledger.invoice_total(source)
    if "Amount" in raw and money(decimal(raw["Amount"], "Line.Amount")) != amount:
        # QBO deposits a payment whole; the line amount is the payment's.
        raise faults.business_validation(
            f"The amount of a deposited {txn_type} must be its total ({amount})", "Line.Amount"
        )
    return {"Amount": amount, "LinkedTxn": [{"TxnId": txn_id, "TxnType": txn_type}]}


def _other_line(realm: Realm, raw: JsonObject) -> JsonObject:
    detail = raw.get("DepositLineDetail")
    if raw.get("DetailType") != "DepositLineDetail" or not isinstance(detail, dict):
        raise faults.required_param("Line.DepositLineDetail")
    check_known(detail, DEPOSIT_LINE_DETAIL_PROPERTIES, "DepositLineDetail")
    account = resolve(realm, "Account", required_ref(detail, "AccountRef"), "AccountRef")
    if "Amount" not in raw:
        raise faults.required_param("Line.Amount")
    amount = money(decimal(raw["Amount"], "Line.Amount"))
    if amount < 0:
        raise faults.negative_amount()
    stored: JsonObject = {**detail, "AccountRef": named_ref(account, "Name")}
    return {"Amount": amount, "DetailType": "DepositLineDetail", "DepositLineDetail": stored}


class DepositKind(EntityKind):
    name: ClassVar[str] = "Deposit"
    properties: ClassVar[frozenset[str]] = DEPOSIT_PROPERTIES
    computed: ClassVar[frozenset[str]] = frozenset({"TotalAmt", "HomeTotalAmt"})
    deletable: ClassVar[bool] = True

    def normalize(
        self,
        realm: Realm,
        body: JsonObject,
        *,
        existing: Record | None,
        options: WriteOptions,  # noqa: ARG002
    ) -> JsonObject:
        check_known(body, DEPOSIT_PROPERTIES, "Deposit")
        account = resolve(
            realm, "Account", required_ref(body, "DepositToAccountRef"), "DepositToAccountRef"
        )
        if account.body.get("AccountType") != "Bank":
            raise faults.invalid_account_type("DepositToAccountRef")
        raw_lines = body.get("Line")
        if not isinstance(raw_lines, list) or not raw_lines:
            raise faults.required_param("Line")
        lines: list[JsonObject] = []
        for position, raw in enumerate(raw_lines, start=1):
            if not isinstance(raw, dict):
                raise faults.required_param("Line")
            check_known(raw, LINE_PROPERTIES, "Line")
            line = (
                _linked_line(realm, raw, existing)
                if raw.get("LinkedTxn")
                else _other_line(realm, raw)
            )
            lines.append({"Id": str(position), "LineNum": position, **line})
        stored = dict(body)
        stored["DepositToAccountRef"] = named_ref(account, "Name")
        stored["Line"] = lines
        stored["TotalAmt"] = sum((line["Amount"] for line in lines), ledger.ZERO)
        text(body, "PrivateNote", maximum=4000)
        stored["TxnDate"] = (parse_date(body, "TxnDate") or clock.company_today()).isoformat()
        stored.setdefault("CurrencyRef", dict(USD))
        return stored

    def extra_fields(self, realm: Realm, record: Record) -> JsonObject:  # noqa: ARG002
        return {"TotalAmt": ledger.invoice_total(record)}

    def after_save(self, realm: Realm, record: Record) -> None:
        release(realm, record.id)
        for line in record.body["Line"]:
            for linked in line.get("LinkedTxn", []):
                realm.deposited[(linked["TxnType"], linked["TxnId"])] = record.id

    def before_delete(self, realm: Realm, record: Record) -> None:
        release(realm, record.id)


def release(realm: Realm, deposit_id: str) -> None:
    """Give the deposit's payments back to Undeposited Funds."""
    for key in [key for key, holder in realm.deposited.items() if holder == deposit_id]:
        del realm.deposited[key]
