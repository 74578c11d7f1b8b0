"""The synced entities, registered in dependency order. A new entity is one registration
here plus its own modules (docs/adding-an-entity.md)."""

from __future__ import annotations

from qbsync.events.schemas import (
    CreditNoteIssued,
    CustomerActivated,
    InvoiceCreated,
    InvoiceUpdated,
    InvoiceVoided,
    PaymentChargedBack,
    PaymentFailed,
    PaymentReceived,
    PaymentRefunded,
)
from qbsync.quickbooks.schemas.credit import CreditMemo, RefundReceipt
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.quickbooks.schemas.names import Customer, Item
from qbsync.quickbooks.schemas.payment import Payment
from qbsync.sync import credit_memos, customers, invoices, items, payments, refunds
from qbsync.sync.mappers.credit_memos import CREDIT_MEMO_IDS
from qbsync.sync.mappers.customers import CUSTOMER_IDS
from qbsync.sync.mappers.invoices import INVOICE_IDS
from qbsync.sync.mappers.items import ITEM_IDS
from qbsync.sync.mappers.payments import PAYMENT_IDS
from qbsync.sync.mappers.refunds import REFUND_IDS
from qbsync.sync.models import EntityType
from qbsync.sync.registry import CompatRoute, Kind, register

CUSTOMER = register(
    Kind(
        entity_type=EntityType.CUSTOMER,
        codec=CUSTOMER_IDS,
        quickbooks_model=Customer,
        sync=customers.sync,
        read=customers.read,
        event=CustomerActivated,
        route=CompatRoute.named("Customer"),
    )
)
ITEM = register(
    Kind(
        entity_type=EntityType.ITEM,
        codec=ITEM_IDS,
        quickbooks_model=Item,
        sync=items.sync,
        not_alone="ITEM records are synced with the invoices that use them; retry the invoice",
    )
)
INVOICE = register(
    Kind(
        entity_type=EntityType.INVOICE,
        codec=INVOICE_IDS,
        quickbooks_model=Invoice,
        sync=invoices.sync,
        read=invoices.read,
        depends_on=(EntityType.CUSTOMER, EntityType.ITEM),
        event=InvoiceCreated,
        # Its lifecycle: edits update the QuickBooks invoice, VOID voids it.
        also_on=(InvoiceUpdated, InvoiceVoided),
        route=CompatRoute.named("Invoice"),
    )
)
PAYMENT = register(
    Kind(
        entity_type=EntityType.PAYMENT,
        codec=PAYMENT_IDS,
        quickbooks_model=Payment,
        sync=payments.sync,
        read=payments.read,
        depends_on=(EntityType.INVOICE,),
        event=PaymentReceived,
        # A failed or charged-back payment voids the QuickBooks payment.
        also_on=(PaymentFailed, PaymentChargedBack),
        event_details=payments.event_details,
        route=CompatRoute.named("Payment"),
    )
)
CREDIT_MEMO = register(
    Kind(
        entity_type=EntityType.CREDIT_MEMO,
        codec=CREDIT_MEMO_IDS,
        quickbooks_model=CreditMemo,
        sync=credit_memos.sync,
        read=credit_memos.read,
        depends_on=(EntityType.CUSTOMER, EntityType.ITEM, EntityType.INVOICE),
        event=CreditNoteIssued,
        event_details=credit_memos.event_details,
        route=CompatRoute.named("CreditMemo"),
    )
)
REFUND = register(
    Kind(
        entity_type=EntityType.REFUND,
        codec=REFUND_IDS,
        quickbooks_model=RefundReceipt,
        sync=refunds.sync,
        read=refunds.read,
        depends_on=(EntityType.PAYMENT, EntityType.ITEM),
        event=PaymentRefunded,
        event_details=refunds.event_details,
        route=CompatRoute.named("Refund"),
    )
)
