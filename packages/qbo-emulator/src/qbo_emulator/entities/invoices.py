"""Invoice: DocNumber rules, computed TotalAmt/Balance, linked payments, void and delete."""

from __future__ import annotations

import hashlib
from calendar import monthrange
from datetime import date, timedelta
from typing import ClassVar, Literal

from qbo_emulator import clock, faults
from qbo_emulator.entities import currency, ledger, tax
from qbo_emulator.entities.base import (
    EntityKind,
    WriteOptions,
    check_known,
    named_ref,
    parse_date,
    ref_value,
    required_ref,
    resolve,
    text,
)
from qbo_emulator.entities.lines import normalize_sales_lines, subtotal_line, voided_lines
from qbo_emulator.properties import INVOICE_PROPERTIES
from qbo_emulator.realm import Realm, Record
from qbo_emulator.wire import JsonObject

DOC_NUMBER_MAX = 21
DEFAULT_TERMS_DAYS = 30
MONTHS = 12
DEFAULTS: JsonObject = {
    "AllowIPNPayment": False,
    "AllowOnlinePayment": False,
    "AllowOnlineCreditCardPayment": False,
    "AllowOnlineACHPayment": False,
    "ApplyTaxAfterDiscount": False,
    "PrintStatus": "NeedToPrint",
    "EmailStatus": "NotSet",
}


def sales_prefs(realm: Realm) -> JsonObject:
    prefs = realm.get("Preferences", "1")
    return dict(prefs.body.get("SalesFormsPrefs", {})) if prefs else {}


def doc_number_owner(realm: Realm, doc_number: str, *, except_id: str | None) -> Record | None:
    for record in realm.all("Invoice"):
        if record.deleted or record.id == except_id:
            continue
        if str(record.body.get("DocNumber", "")).casefold() == doc_number.casefold():
            return record
    return None


def _next_doc_number(realm: Realm) -> str:
    while doc_number_owner(realm, str(realm.next_doc_number), except_id=None) is not None:
        realm.next_doc_number += 1
    realm.next_doc_number += 1
    return str(realm.next_doc_number - 1)


def due_by_terms(realm: Realm, body: JsonObject, stored: JsonObject, txn_date: date) -> date:
    """The due date a sales term gives (net days, or a day of the month); 30 days without."""
    term_id = ref_value(body, "SalesTermRef")
    if term_id is None:
        return txn_date + timedelta(days=DEFAULT_TERMS_DAYS)
    term = resolve(realm, "Term", term_id, "SalesTermRef")
    stored["SalesTermRef"] = named_ref(term, "Name")
    if term.body.get("DueDays") is not None:
        return txn_date + timedelta(days=int(term.body["DueDays"]))
    day = int(term.body["DayOfMonthDue"])
    year, month = txn_date.year, txn_date.month
    # Dated within DueNextMonthDays of the due day (or after it): due the month after.
    if txn_date.day > day - int(term.body.get("DueNextMonthDays", 0)):
        year, month = (year + 1, 1) if month == MONTHS else (year, month + 1)
    return date(year, month, min(day, monthrange(year, month)[1]))


def invoice_link(realm: Realm, invoice_id: str) -> str:
    """The customer-facing link ``include=invoiceLink`` adds (shape of QBO's, not a live URL)."""
    token = hashlib.sha256(f"{realm.realm_id}:{invoice_id}".encode()).hexdigest()[:32]
    return f"https://connect.intuit.com/portal/app/CommerceNetwork/view/scs-v1-{token}"


class InvoiceKind(EntityKind):
    name: ClassVar[str] = "Invoice"
    properties: ClassVar[frozenset[str]] = INVOICE_PROPERTIES
    computed: ClassVar[frozenset[str]] = frozenset(
        {"TotalAmt", "Balance", "HomeTotalAmt", "HomeBalance", "LinkedTxn", "InvoiceLink"}
    )
    deletable: ClassVar[bool] = True
    void_style: ClassVar[Literal["none", "operation", "include"]] = "operation"

    def normalize(
        self, realm: Realm, body: JsonObject, *, existing: Record | None, options: WriteOptions
    ) -> JsonObject:
        check_known(body, INVOICE_PROPERTIES, "Invoice")
        if existing is not None and existing.voided:
            raise faults.business_validation("A voided transaction cannot be changed")
        customer_id = required_ref(body, "CustomerRef")
        customer = resolve(realm, "Customer", customer_id, "CustomerRef")
        prefs = sales_prefs(realm)
        existing_ids = (
            {str(line.get("Id")) for line in existing.body["Line"]} if existing else set()
        )
        sales = normalize_sales_lines(
            realm,
            body.get("Line"),
            allow_discount=prefs.get("AllowDiscount") is True,
            existing_ids=existing_ids,
        )
        sales_tax = tax.sales_tax(realm, body, sales.lines)
        stored = dict(body)
        stored["CustomerRef"] = named_ref(customer, "DisplayName")
        stored["Line"] = sales.lines
        stored["TxnTaxDetail"] = sales_tax.detail
        stored["TotalAmt"] = sales.total + sales_tax.total
        stored.update(currency.transaction_currency(realm, body, customer))
        if existing is not None and stored["TotalAmt"] < realm.invoice_paid(existing.id):
            raise faults.business_validation(
                "The invoice total cannot be less than the payments applied to it", "TotalAmt"
            )
        stored.update(
            self._doc_number(realm, body, existing=existing, options=options, prefs=prefs)
        )
        text(body, "PrivateNote", maximum=4000)
        memo = body.get("CustomerMemo")
        if isinstance(memo, dict):
            text(memo, "value", maximum=1000, element="CustomerMemo")
        txn_date = parse_date(body, "TxnDate") or clock.company_today()
        stored["TxnDate"] = txn_date.isoformat()
        due = parse_date(body, "DueDate") or due_by_terms(realm, body, stored, txn_date)
        stored["DueDate"] = due.isoformat()
        ship = parse_date(body, "ShipDate")
        if ship is None:
            stored.pop("ShipDate", None)
        else:
            stored["ShipDate"] = ship.isoformat()
        for address in ("BillAddr", "ShipAddr"):
            if address not in stored and address in customer.body:
                stored[address] = customer.body[address]
        for key, value in DEFAULTS.items():
            stored.setdefault(key, value)
        return stored

    def _doc_number(
        self,
        realm: Realm,
        body: JsonObject,
        *,
        existing: Record | None,
        options: WriteOptions,
        prefs: JsonObject,
    ) -> JsonObject:
        doc_number = body.get("DocNumber")
        custom_numbers = prefs.get("CustomTxnNumbers") is True
        if doc_number == "AUTO_GENERATE" or (doc_number is None and not custom_numbers):
            if existing is not None and existing.body.get("DocNumber") and doc_number is None:
                return {"DocNumber": existing.body["DocNumber"]}
            return {"DocNumber": _next_doc_number(realm)}
        if doc_number is None:
            # With custom transaction numbers on, QBO leaves an unnumbered invoice unnumbered.
            return {}
        text(body, "DocNumber", maximum=DOC_NUMBER_MAX)
        if not options.allow_duplicate_doc_number:
            owner = doc_number_owner(
                realm, str(doc_number), except_id=existing.id if existing else None
            )
            if owner is not None:
                raise faults.duplicate_doc_number(
                    str(doc_number), txn_type="Invoice", txn_id=owner.id
                )
        return {"DocNumber": doc_number}

    def extra_fields(self, realm: Realm, record: Record) -> JsonObject:
        lines = list(record.body["Line"])
        if record.voided:
            lines = voided_lines(lines)
        subtotal = sum(
            (line["Amount"] for line in lines if line["DetailType"] == "SalesItemLineDetail"),
            ledger.ZERO,
        )
        balance = ledger.invoice_balance(realm, record)
        fields: JsonObject = {
            "Line": [*lines, subtotal_line(subtotal)],
            "TotalAmt": ledger.invoice_total(record),
            "Balance": balance,
            "LinkedTxn": [
                {"TxnId": payment_id, "TxnType": "Payment"}
                for payment_id in ledger.payments_of(realm, record.id)
            ],
        }
        fields.update(currency.home_fields(record, ledger.invoice_total(record), balance))
        return fields

    def void(self, realm: Realm, record: Record) -> None:
        self._refuse_if_paid(realm, record)
        record.voided = True
        note = record.body.get("PrivateNote")
        record.body["PrivateNote"] = f"Voided - {note}" if note else "Voided"

    def before_delete(self, realm: Realm, record: Record) -> None:
        self._refuse_if_paid(realm, record)

    def _refuse_if_paid(self, realm: Realm, record: Record) -> None:
        # QBO makes you unlink (void or edit) the payments first.
        if ledger.payments_of(realm, record.id):
            raise faults.business_validation(
                "This invoice has payments applied to it. Remove the payments first."
            )
