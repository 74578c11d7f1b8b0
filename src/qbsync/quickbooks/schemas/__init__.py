"""QBO wire models: PascalCase on the wire, snake_case in Python, Decimal money."""

from qbsync.quickbooks.schemas.base import (
    EmailAddress,
    MemoRef,
    MetaData,
    Money,
    NameListEntity,
    PhysicalAddress,
    QboEntity,
    QboModel,
    Ref,
    TelephoneNumber,
    TransactionEntity,
    UtcDatetime,
    WebSiteAddress,
    WritableEntity,
)
from qbsync.quickbooks.schemas.batch import (
    BatchItemRequest,
    BatchItemResponse,
    BatchOperation,
    BatchRequest,
    BatchResponse,
    QueryResponse,
)
from qbsync.quickbooks.schemas.company import (
    AccountingInfoPrefs,
    CompanyInfo,
    CurrencyPrefs,
    Preferences,
    SalesFormsPrefs,
    TaxPrefs,
)
from qbsync.quickbooks.schemas.fault import Fault, FaultError
from qbsync.quickbooks.schemas.invoice import (
    DescriptionLineDetail,
    DescriptionOnlyLine,
    DiscountLine,
    DiscountLineDetail,
    Invoice,
    Line,
    LinkedTxn,
    OtherLine,
    SalesItemLine,
    SalesItemLineDetail,
    SubTotalLine,
    SubTotalLineDetail,
    TxnTaxDetail,
)
from qbsync.quickbooks.schemas.names import Account, Customer, Item, Vendor
from qbsync.quickbooks.schemas.payment import Payment, PaymentLine

# Every entity model by its wire name ("Customer" -> Customer).
ENTITY_MODELS: dict[str, type[QboEntity]] = {
    model.entity_name: model
    for model in (Customer, Vendor, Item, Account, Invoice, Payment, CompanyInfo, Preferences)
}

__all__ = [
    "ENTITY_MODELS",
    "Account",
    "AccountingInfoPrefs",
    "BatchItemRequest",
    "BatchItemResponse",
    "BatchOperation",
    "BatchRequest",
    "BatchResponse",
    "CompanyInfo",
    "CurrencyPrefs",
    "Customer",
    "DescriptionLineDetail",
    "DescriptionOnlyLine",
    "DiscountLine",
    "DiscountLineDetail",
    "EmailAddress",
    "Fault",
    "FaultError",
    "Invoice",
    "Item",
    "Line",
    "LinkedTxn",
    "MemoRef",
    "MetaData",
    "Money",
    "NameListEntity",
    "OtherLine",
    "Payment",
    "PaymentLine",
    "PhysicalAddress",
    "Preferences",
    "QboEntity",
    "QboModel",
    "QueryResponse",
    "Ref",
    "SalesFormsPrefs",
    "SalesItemLine",
    "SalesItemLineDetail",
    "SubTotalLine",
    "SubTotalLineDetail",
    "TaxPrefs",
    "TelephoneNumber",
    "TransactionEntity",
    "TxnTaxDetail",
    "UtcDatetime",
    "Vendor",
    "WebSiteAddress",
    "WritableEntity",
]
