"""Known JSON properties of the sales forms, deposits, tax, currency and list kinds, from
Intuit's XSDs (copies in tests/data/intuit-xsd); ``test_properties_match_xsd`` re-derives them.
Kept apart from ``properties`` so that each file stays one screenful per family of kinds."""

from __future__ import annotations

# fmt: off

SALES_RECEIPT_PROPERTIES = frozenset(
    {
        "Id", "SyncToken", "MetaData", "CustomField", "AttachableRef", "DocNumber",
        "TxnDate", "DepartmentRef", "CurrencyRef", "ExchangeRate", "PrivateNote",
        "TxnStatus", "LinkedTxn", "Line", "TxnTaxDetail", "TxnSource", "TaxFormType",
        "TaxFormNum", "TransactionLocationType", "Tag", "TxnApprovalInfo",
        "RecurDataRef", "RecurringInfo", "ProjectRef", "TotalCostAmount",
        "HomeTotalCostAmount", "AutoDocNumber", "CustomerRef", "CustomerMemo",
        "BillAddr", "ShipAddr", "FreeFormAddress", "ShipFromAddr", "RemitToRef",
        "ClassRef", "SalesTermRef", "DueDate", "SalesRepRef", "PONumber", "FOB",
        "ShipMethodRef", "ShipDate", "TrackingNum", "GlobalTaxCalculation", "TotalAmt",
        "HomeTotalAmt", "ApplyTaxAfterDiscount", "ShippingTaxIncludedInTotalTax",
        "TemplateRef", "PrintStatus", "EmailStatus", "BillEmail", "BillEmailCc",
        "BillEmailBcc", "ARAccountRef", "Balance", "HomeBalance", "FinanceCharge",
        "PaymentMethodRef", "PaymentRefNum", "PaymentType", "CheckPayment",
        "CreditCardPayment", "DepositToAccountRef", "DeliveryInfo", "DiscountRate",
        "DiscountAmt", "GovtTxnRefIdentifier", "TaxExemptionRef", "SalesReceiptEx",
        "LessCIS", "domain", "status", "sparse",
    }
)

CREDIT_MEMO_PROPERTIES = frozenset(
    {
        "Id", "SyncToken", "MetaData", "CustomField", "AttachableRef", "DocNumber",
        "TxnDate", "DepartmentRef", "CurrencyRef", "ExchangeRate", "PrivateNote",
        "TxnStatus", "LinkedTxn", "Line", "TxnTaxDetail", "TxnSource", "TaxFormType",
        "TaxFormNum", "TransactionLocationType", "Tag", "TxnApprovalInfo",
        "RecurDataRef", "RecurringInfo", "ProjectRef", "TotalCostAmount",
        "HomeTotalCostAmount", "AutoDocNumber", "CustomerRef", "CustomerMemo",
        "BillAddr", "ShipAddr", "FreeFormAddress", "ShipFromAddr", "RemitToRef",
        "ClassRef", "SalesTermRef", "DueDate", "SalesRepRef", "PONumber", "FOB",
        "ShipMethodRef", "ShipDate", "TrackingNum", "GlobalTaxCalculation", "TotalAmt",
        "HomeTotalAmt", "ApplyTaxAfterDiscount", "ShippingTaxIncludedInTotalTax",
        "TemplateRef", "PrintStatus", "EmailStatus", "BillEmail", "BillEmailCc",
        "BillEmailBcc", "ARAccountRef", "Balance", "HomeBalance", "FinanceCharge",
        "PaymentMethodRef", "PaymentRefNum", "PaymentType", "CheckPayment",
        "CreditCardPayment", "DepositToAccountRef", "DeliveryInfo", "DiscountRate",
        "DiscountAmt", "GovtTxnRefIdentifier", "TaxExemptionRef", "RemainingCredit",
        "InvoiceRef", "CreditMemoEx", "domain", "status", "sparse",
    }
)

REFUND_RECEIPT_PROPERTIES = frozenset(
    {
        "Id", "SyncToken", "MetaData", "CustomField", "AttachableRef", "DocNumber",
        "TxnDate", "DepartmentRef", "CurrencyRef", "ExchangeRate", "PrivateNote",
        "TxnStatus", "LinkedTxn", "Line", "TxnTaxDetail", "TxnSource", "TaxFormType",
        "TaxFormNum", "TransactionLocationType", "Tag", "TxnApprovalInfo",
        "RecurDataRef", "RecurringInfo", "ProjectRef", "TotalCostAmount",
        "HomeTotalCostAmount", "AutoDocNumber", "CustomerRef", "CustomerMemo",
        "BillAddr", "ShipAddr", "FreeFormAddress", "ShipFromAddr", "RemitToRef",
        "ClassRef", "SalesTermRef", "DueDate", "SalesRepRef", "PONumber", "FOB",
        "ShipMethodRef", "ShipDate", "TrackingNum", "GlobalTaxCalculation", "TotalAmt",
        "HomeTotalAmt", "ApplyTaxAfterDiscount", "ShippingTaxIncludedInTotalTax",
        "TemplateRef", "PrintStatus", "EmailStatus", "BillEmail", "BillEmailCc",
        "BillEmailBcc", "ARAccountRef", "Balance", "HomeBalance", "FinanceCharge",
        "PaymentMethodRef", "PaymentRefNum", "PaymentType", "CheckPayment",
        "CreditCardPayment", "DepositToAccountRef", "DeliveryInfo", "DiscountRate",
        "DiscountAmt", "GovtTxnRefIdentifier", "TaxExemptionRef", "RemainingCredit",
        "RefundReceiptEx", "domain", "status", "sparse",
    }
)

DEPOSIT_PROPERTIES = frozenset(
    {
        "Id", "SyncToken", "MetaData", "CustomField", "AttachableRef", "DocNumber",
        "TxnDate", "DepartmentRef", "CurrencyRef", "ExchangeRate", "PrivateNote",
        "TxnStatus", "LinkedTxn", "Line", "TxnTaxDetail", "TxnSource", "TaxFormType",
        "TaxFormNum", "TransactionLocationType", "Tag", "TxnApprovalInfo",
        "RecurDataRef", "RecurringInfo", "ProjectRef", "TotalCostAmount",
        "HomeTotalCostAmount", "DepositToAccountRef", "CashBack",
        "GlobalTaxCalculation", "TotalAmt", "HomeTotalAmt", "DepositEx", "domain",
        "status", "sparse",
    }
)

DEPOSIT_LINE_DETAIL_PROPERTIES = frozenset(
    {
        "Entity", "ClassRef", "AccountRef", "PaymentMethodRef", "CheckNum", "TxnType",
        "TaxCodeRef", "TaxApplicableOn", "DepositLineDetailEx",
    }
)

TXN_TAX_DETAIL_PROPERTIES = frozenset(
    {
        "DefaultTaxCodeRef", "TxnTaxCodeRef", "TotalTax", "TaxReviewStatus", "TaxLine",
        "UseAutomatedSalesTax",
    }
)

PAYMENT_METHOD_PROPERTIES = frozenset(
    {
        "Id", "SyncToken", "MetaData", "CustomField", "AttachableRef", "Name", "Active",
        "Type", "PaymentMethodEx", "domain", "status", "sparse",
    }
)

TERM_PROPERTIES = frozenset(
    {
        "Id", "SyncToken", "MetaData", "CustomField", "AttachableRef", "Name", "Active",
        "Type", "DiscountPercent", "DueDays", "DiscountDays", "DayOfMonthDue",
        "DueNextMonthDays", "DiscountDayOfMonth", "SalesTermEx", "domain", "status",
        "sparse",
    }
)

TAX_CODE_PROPERTIES = frozenset(
    {
        "Id", "SyncToken", "MetaData", "CustomField", "AttachableRef", "Name",
        "Description", "Active", "Hidden", "Taxable", "TaxGroup", "SalesTaxRateList",
        "PurchaseTaxRateList", "AdjustmentTaxRateList", "TaxCodeEx",
        "TaxCodeConfigType", "domain", "status", "sparse",
    }
)

TAX_RATE_PROPERTIES = frozenset(
    {
        "Id", "SyncToken", "MetaData", "CustomField", "AttachableRef", "Name",
        "Description", "Active", "RateValue", "AgencyRef", "TaxReturnLineRef",
        "EffectiveTaxRate", "SpecialTaxType", "DisplayType", "TaxRateEx",
        "OriginalTaxRate", "domain", "status", "sparse",
    }
)

COMPANY_CURRENCY_PROPERTIES = frozenset(
    {
        "Id", "SyncToken", "MetaData", "CustomField", "AttachableRef", "Code", "Name",
        "Active", "CompanyCurrencyEx", "domain", "status", "sparse",
    }
)

EXCHANGE_RATE_PROPERTIES = frozenset(
    {
        "Id", "SyncToken", "MetaData", "CustomField", "AttachableRef",
        "SourceCurrencyCode", "TargetCurrencyCode", "Rate", "AsOfDate",
        "ExchangeRateEx", "domain", "status", "sparse",
    }
)

# fmt: on

CLASS_PROPERTIES = frozenset(
    {
        "Id",
        "SyncToken",
        "MetaData",
        "CustomField",
        "AttachableRef",
        "Name",
        "SubClass",
        "ParentRef",
        "FullyQualifiedName",
        "Active",
        "ClassEx",
        "domain",
        "status",
        "sparse",
    }
)

DEPARTMENT_PROPERTIES = frozenset(
    {
        "Id",
        "SyncToken",
        "MetaData",
        "CustomField",
        "AttachableRef",
        "Name",
        "SubDepartment",
        "ParentRef",
        "FullyQualifiedName",
        "Active",
        "DepartmentEx",
        "Address",
        "domain",
        "status",
        "sparse",
    }
)
