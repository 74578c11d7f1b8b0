"""SalesReceipt, RefundReceipt and CreditMemo: item lines like an invoice's, no A/R balance
for the receipts (money moves at once), and a credit balance for the memo."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

from qbo_emulator import clock, faults
from qbo_emulator.entities import currency, ledger, tax
from qbo_emulator.entities.accounts import DEPOSIT_TYPES
from qbo_emulator.entities.base import (
    EntityKind,
    WriteOptions,
    check_known,
    named_ref,
    parse_date,
    ref_value,
    resolve,
    text,
)
from qbo_emulator.entities.invoices import sales_prefs
from qbo_emulator.entities.lines import normalize_sales_lines, subtotal_line, voided_lines
from qbo_emulator.entities.payments import UNDEPOSITED_FUNDS_ID, refuse_if_deposited
from qbo_emulator.form_properties import (
    CREDIT_MEMO_PROPERTIES,
    REFUND_RECEIPT_PROPERTIES,
    SALES_RECEIPT_PROPERTIES,
)
from qbo_emulator.realm import Realm, Record
from qbo_emulator.wire import JsonObject

DOC_NUMBER_MAX = 21
PAYMENT_TYPES = ("Cash", "Check", "CreditCard", "Other")


class SalesFormKind(EntityKind):
    """What the three forms share; subclasses say where the money goes and what is owed."""

    computed: ClassVar[frozenset[str]] = frozenset(
        {"TotalAmt", "Balance", "HomeTotalAmt", "HomeBalance", "RemainingCredit"}
    )
    deletable: ClassVar[bool] = True
    customer_required: ClassVar[bool] = False
    # Where the money goes: "optional" (defaults to Undeposited Funds), "required", or none.
    money_account: ClassVar[Literal["none", "optional", "required"]] = "none"

    def normalize(
        self,
        realm: Realm,
        body: JsonObject,
        *,
        existing: Record | None,
        options: WriteOptions,  # noqa: ARG002
    ) -> JsonObject:
        check_known(body, self.properties, self.name)
        if existing is not None and existing.voided:
            raise faults.business_validation("A voided transaction cannot be changed")
        if existing is not None:
            refuse_if_deposited(realm, existing)
        customer_id = ref_value(body, "CustomerRef", required=self.customer_required)
        customer = resolve(realm, "Customer", customer_id, "CustomerRef") if customer_id else None
        existing_ids = (
            {str(line.get("Id")) for line in existing.body["Line"]} if existing else set()
        )
        sales = normalize_sales_lines(
            realm,
            body.get("Line"),
            allow_discount=sales_prefs(realm).get("AllowDiscount") is True,
            existing_ids=existing_ids,
        )
        sales_tax = tax.sales_tax(realm, body, sales.lines)
        stored = dict(body)
        if customer is not None:
            stored["CustomerRef"] = named_ref(customer, "DisplayName")
            for address in ("BillAddr", "ShipAddr"):
                if address not in stored and address in customer.body:
                    stored[address] = customer.body[address]
        stored["Line"] = sales.lines
        stored["TxnTaxDetail"] = sales_tax.detail
        stored["TotalAmt"] = sales.total + sales_tax.total
        stored.update(currency.transaction_currency(realm, body, customer))
        text(body, "DocNumber", maximum=DOC_NUMBER_MAX)
        text(body, "PrivateNote", maximum=4000)
        text(body, "PaymentRefNum", maximum=100 if self.name == "RefundReceipt" else 21)
        memo = body.get("CustomerMemo")
        if isinstance(memo, dict):
            text(memo, "value", maximum=1000, element="CustomerMemo")
        if body.get("PaymentType") is not None and body["PaymentType"] not in PAYMENT_TYPES:
            raise faults.invalid_enumeration("PaymentType", body["PaymentType"])
        stored["TxnDate"] = (parse_date(body, "TxnDate") or clock.company_today()).isoformat()
        if ref_value(body, "PaymentMethodRef") is not None:
            method_id = str(ref_value(body, "PaymentMethodRef"))
            method = resolve(realm, "PaymentMethod", method_id, "PaymentMethodRef")
            stored["PaymentMethodRef"] = named_ref(method, "Name")
        if self.money_account != "none":
            stored["DepositToAccountRef"] = self._account(realm, body)
        self._check_total(realm, stored["TotalAmt"], existing)
        stored.setdefault("ApplyTaxAfterDiscount", False)
        stored.setdefault("PrintStatus", "NotSet")
        stored.setdefault("EmailStatus", "NotSet")
        return stored

    def _account(self, realm: Realm, body: JsonObject) -> JsonObject:
        account_id = ref_value(
            body, "DepositToAccountRef", required=self.money_account == "required"
        )
        account = resolve(
            realm, "Account", account_id or UNDEPOSITED_FUNDS_ID, "DepositToAccountRef"
        )
        if account.body.get("AccountType") not in DEPOSIT_TYPES:
            raise faults.invalid_account_type("DepositToAccountRef")
        return named_ref(account, "Name")

    def _check_total(self, realm: Realm, total: Decimal, existing: Record | None) -> None:
        """Forms that carry a balance refuse a total below what is already applied."""

    def balance(self, realm: Realm, record: Record) -> Decimal:  # noqa: ARG002
        return ledger.ZERO

    def extra_fields(self, realm: Realm, record: Record) -> JsonObject:
        lines = list(record.body["Line"])
        if record.voided:
            lines = voided_lines(lines)
        subtotal = sum(
            (line["Amount"] for line in lines if line["DetailType"] == "SalesItemLineDetail"),
            ledger.ZERO,
        )
        total = ledger.invoice_total(record)
        balance = self.balance(realm, record)
        fields: JsonObject = {
            "Line": [*lines, subtotal_line(subtotal)],
            "TotalAmt": total,
            "Balance": balance,
        }
        fields.update(currency.home_fields(record, total, balance))
        return fields


class SalesReceiptKind(SalesFormKind):
    """Paid on the spot: no A/R, the money goes to Undeposited Funds or the named account."""

    name: ClassVar[str] = "SalesReceipt"
    properties: ClassVar[frozenset[str]] = SALES_RECEIPT_PROPERTIES
    money_account: ClassVar[Literal["none", "optional", "required"]] = "optional"
    void_style: ClassVar[Literal["none", "operation", "include"]] = "include"

    def void(self, realm: Realm, record: Record) -> None:
        refuse_if_deposited(realm, record)
        record.voided = True
        note = record.body.get("PrivateNote")
        record.body["PrivateNote"] = f"Voided - {note}" if note else "Voided"

    def before_delete(self, realm: Realm, record: Record) -> None:
        refuse_if_deposited(realm, record)


class RefundReceiptKind(SalesFormKind):
    """Money paid back to a customer out of a bank (or Undeposited Funds) account."""

    name: ClassVar[str] = "RefundReceipt"
    properties: ClassVar[frozenset[str]] = REFUND_RECEIPT_PROPERTIES
    money_account: ClassVar[Literal["none", "optional", "required"]] = "required"


class CreditMemoKind(SalesFormKind):
    """A credit the customer holds until a payment uses it (Payment line, TxnType CreditMemo)."""

    name: ClassVar[str] = "CreditMemo"
    properties: ClassVar[frozenset[str]] = CREDIT_MEMO_PROPERTIES
    customer_required: ClassVar[bool] = True

    def _check_total(self, realm: Realm, total: Decimal, existing: Record | None) -> None:
        if existing is not None and total < ledger.credit_used(realm, existing.id):
            raise faults.business_validation(
                "The credit memo total cannot be less than the credit already used", "TotalAmt"
            )

    def balance(self, realm: Realm, record: Record) -> Decimal:
        return ledger.credit_balance(realm, record)

    def extra_fields(self, realm: Realm, record: Record) -> JsonObject:
        fields = super().extra_fields(realm, record)
        fields["RemainingCredit"] = fields["Balance"]
        fields["LinkedTxn"] = [
            {"TxnId": payment_id, "TxnType": "Payment"}
            for payment_id in ledger.credit_payments_of(realm, record.id)
        ]
        return fields

    def before_delete(self, realm: Realm, record: Record) -> None:
        if ledger.credit_payments_of(realm, record.id):
            raise faults.business_validation(
                "This credit memo is used by a payment. Remove it from the payment first."
            )
