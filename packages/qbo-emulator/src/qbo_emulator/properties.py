"""Known JSON properties per QBO type, taken from Intuit's XSDs (shipped in xsd/).

QBO rejects a property its schema does not know with fault 2010 (fixture error_400_json.yml).
In JSON, XSD child elements become PascalCase keys and attributes lower-case keys; the
emulator test ``test_properties_match_xsd`` re-derives these sets from the XSDs.
"""

from __future__ import annotations

# fmt: off
CUSTOMER_PROPERTIES = frozenset(
    {
        "Id", "SyncToken", "MetaData", "CustomField", "AttachableRef", "IntuitId",
        "Organization", "Title", "GivenName", "MiddleName", "FamilyName", "Suffix",
        "FullyQualifiedName", "CompanyName", "DisplayName", "PrintOnCheckName", "UserId",
        "Active", "V4IDPseudonym", "PrimaryPhone", "AlternatePhone", "Mobile", "Fax",
        "PrimaryEmailAddr", "WebAddr", "OtherContactInfo", "DefaultTaxCodeRef", "Taxable",
        "BillAddr", "ShipAddr", "OtherAddr", "ContactName", "AltContactName", "Notes", "Job",
        "BillWithParent", "RootCustomerRef", "ParentRef", "Level", "CustomerTypeRef",
        "SalesTermRef", "SalesRepRef", "TaxGroupCodeRef", "TaxRateRef", "PaymentMethodRef",
        "CCDetail", "PriceLevelRef", "Balance", "OpenBalanceDate", "BalanceWithJobs",
        "CreditLimit", "AcctNum", "CurrencyRef", "OverDueBalance", "TotalRevenue",
        "TotalExpense", "PreferredDeliveryMethod", "ResaleNum", "JobInfo", "TDSEnabled",
        "CustomerEx", "SecondaryTaxIdentifier", "ARAccountRef", "PrimaryTaxIdentifier",
        "TaxExemptionReasonId", "IsProject", "BusinessNumber", "GSTIN", "GSTRegistrationType",
        "IsCISContractor", "ClientCompanyId", "ClientEntityId", "Source", "TaxRegime",
        "domain", "status", "sparse",
    }
)

ITEM_PROPERTIES = frozenset(
    {
        "Id", "SyncToken", "MetaData", "CustomField", "AttachableRef", "Name", "Sku",
        "Description", "Active", "SubItem", "ParentRef", "Level", "FullyQualifiedName",
        "Taxable", "SalesTaxIncluded", "PercentBased", "UnitPrice", "RatePercent", "Type",
        "PaymentMethodRef", "UOMSetRef", "IncomeAccountRef", "PurchaseDesc",
        "PurchaseTaxIncluded", "PurchaseCost", "ExpenseAccountRef", "COGSAccountRef",
        "AssetAccountRef", "PrefVendorRef", "AvgCost", "TrackQtyOnHand", "QtyOnHand",
        "QtyOnPurchaseOrder", "QtyOnSalesOrder", "ReorderPoint", "ManPartNum",
        "DepositToAccountRef", "SalesTaxCodeRef", "PurchaseTaxCodeRef", "InvStartDate",
        "BuildPoint", "PrintGroupedItems", "SpecialItem", "SpecialItemType", "ItemGroupDetail",
        "ItemAssemblyDetail", "AbatementRate", "ReverseChargeRate", "ServiceType",
        "ItemCategoryType", "ItemEx", "TaxClassificationRef", "UQCDisplayText", "UQCId",
        "ClassRef", "Source", "DeferredRevenue", "domain", "status", "sparse",
    }
)

ACCOUNT_PROPERTIES = frozenset(
    {
        "Id", "SyncToken", "MetaData", "CustomField", "AttachableRef", "Name", "SubAccount",
        "ParentRef", "Description", "FullyQualifiedName", "AccountAlias", "TxnLocationType",
        "Active", "Classification", "AccountType", "AccountSubType", "AccountPurposes",
        "AcctNum", "AcctNumExtn", "BankNum", "OpeningBalance", "OpeningBalanceDate",
        "CurrentBalance", "CurrentBalanceWithSubAccounts", "CurrencyRef", "TaxAccount",
        "TaxCodeRef", "OnlineBankingEnabled", "FIName", "JournalCodeRef", "AccountEx",
        "domain", "status", "sparse",
    }
)

INVOICE_PROPERTIES = frozenset(
    {
        "Id", "SyncToken", "MetaData", "CustomField", "AttachableRef", "DocNumber", "TxnDate",
        "DepartmentRef", "CurrencyRef", "ExchangeRate", "PrivateNote", "TxnStatus",
        "LinkedTxn", "Line", "TxnTaxDetail", "TxnSource", "TaxFormType", "TaxFormNum",
        "TransactionLocationType", "Tag", "TxnApprovalInfo", "RecurDataRef", "RecurringInfo",
        "ProjectRef", "TotalCostAmount", "HomeTotalCostAmount", "AutoDocNumber", "CustomerRef",
        "CustomerMemo", "BillAddr", "ShipAddr", "FreeFormAddress", "ShipFromAddr",
        "RemitToRef", "ClassRef", "SalesTermRef", "DueDate", "SalesRepRef", "PONumber", "FOB",
        "ShipMethodRef", "ShipDate", "TrackingNum", "GlobalTaxCalculation", "TotalAmt",
        "HomeTotalAmt", "ApplyTaxAfterDiscount", "ShippingTaxIncludedInTotalTax",
        "TemplateRef", "PrintStatus", "EmailStatus", "BillEmail", "BillEmailCc",
        "BillEmailBcc", "ARAccountRef", "Balance", "HomeBalance", "FinanceCharge",
        "PaymentMethodRef", "PaymentRefNum", "PaymentType", "CheckPayment",
        "CreditCardPayment", "DepositToAccountRef", "DeliveryInfo", "DiscountRate",
        "DiscountAmt", "GovtTxnRefIdentifier", "TaxExemptionRef", "Deposit", "AllowIPNPayment",
        "AllowOnlinePayment", "AllowOnlineCreditCardPayment", "AllowOnlineACHPayment",
        "AllowOnlinePayPalPayment", "EInvoiceStatus", "ECloudStatusTimeStamp", "CfdiUse",
        "Exportation", "GlobalInfo", "invoiceStatus", "callToAction", "invoiceStatusLog",
        "InvoiceEx", "LessCIS", "InvoiceLink", "PaymentDetailsMessage", "ConvenienceFeeDetail",
        "InvoiceLinkSecurityCode", "InvoiceLinkExpiryDate", "AutoPayEligible",
        "SchedulePayEligible", "ScheduledPaymentId", "GratuityEnabled", "FinancingProductType",
        "SubscriptionPaymentsSetting", "domain", "status", "sparse",
    }
)

PAYMENT_PROPERTIES = frozenset(
    {
        "Id", "SyncToken", "MetaData", "CustomField", "AttachableRef", "DocNumber", "TxnDate",
        "DepartmentRef", "CurrencyRef", "ExchangeRate", "PrivateNote", "TxnStatus",
        "LinkedTxn", "Line", "TxnTaxDetail", "TxnSource", "TaxFormType", "TaxFormNum",
        "TransactionLocationType", "Tag", "TxnApprovalInfo", "RecurDataRef", "RecurringInfo",
        "ProjectRef", "TotalCostAmount", "HomeTotalCostAmount", "CustomerRef", "RemitToRef",
        "ARAccountRef", "DepositToAccountRef", "PaymentMethodRef", "PaymentRefNum",
        "PaymentType", "CheckPayment", "CreditCardPayment", "TotalAmt", "UnappliedAmt",
        "ProcessPayment", "PaymentEx", "domain", "status", "sparse",
    }
)

LINE_PROPERTIES = frozenset(
    {
        "Id", "LineNum", "Description", "Amount", "Received", "LinkedTxn", "DetailType",
        "PaymentLineDetail", "DiscountLineDetail", "TaxLineDetail", "SalesItemLineDetail",
        "DescriptionLineDetail", "ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail",
        "ReimburseLineDetail", "DepositLineDetail", "PurchaseOrderItemLineDetail",
        "SalesOrderItemLineDetail", "ItemReceiptLineDetail", "JournalEntryLineDetail",
        "GroupLineDetail", "SubTotalLineDetail", "TDSLineDetail", "ItemAdjustmentLineDetail",
        "CustomField", "LineEx", "ProjectRef", "CostAmount", "HomeCostAmount",
    }
)

SALES_ITEM_LINE_DETAIL_PROPERTIES = frozenset(
    {
        "ItemRef", "ClassRef", "UnitPrice", "UnitCostPrice", "RatePercent", "PriceLevelRef",
        "MarkupInfo", "Qty", "UOMRef", "ItemAccountRef", "InventorySiteRef", "TaxCodeRef",
        "TaxClassificationRef", "ServiceDate", "TaxInclusiveAmt", "DiscountRate",
        "DiscountAmt", "DeferredRevenue", "SalesItemLineDetailEx",
    }
)

DISCOUNT_LINE_DETAIL_PROPERTIES = frozenset(
    {
        "DiscountRef", "PercentBased", "DiscountPercent", "DiscountAccountRef", "ServiceDate",
        "ClassRef", "TaxCodeRef", "DiscountLineDetailEx",
    }
)

LINKED_TXN_PROPERTIES = frozenset(
    {
        "TxnId", "TxnType", "TxnLineId",
    }
)

PREFERENCES_PROPERTIES = frozenset(
    {
        "Id", "SyncToken", "MetaData", "CustomField", "AttachableRef", "AccountingInfoPrefs",
        "AdvancedInventoryPrefs", "ProductAndServicesPrefs", "SalesFormsPrefs",
        "EmailMessagesPrefs", "PrintDocumentPrefs", "VendorAndPurchasesPrefs",
        "TimeTrackingPrefs", "TaxPrefs", "FinanceChargesPrefs", "CurrencyPrefs", "ReportPrefs",
        "OtherPrefs", "domain", "status", "sparse",
    }
)

COMPANY_INFO_PROPERTIES = frozenset(
    {
        "Id", "SyncToken", "MetaData", "CustomField", "AttachableRef", "CompanyName",
        "LegalName", "CompanyAddr", "CustomerCommunicationAddr", "LegalAddr",
        "CompanyEmailAddr", "CustomerCommunicationEmailAddr", "CompanyURL", "PrimaryPhone",
        "OtherContactInfo", "CompanyFileName", "FlavorStratum", "SampleFile", "CompanyUserId",
        "CompanyUserAdminEmail", "CompanyStartDate", "EmployerId", "FiscalYearStartMonth",
        "TaxYearStartMonth", "QBVersion", "Country", "ShipAddr", "OtherAddr", "Mobile", "Fax",
        "Email", "WebAddr", "LastImportedTime", "LastSyncTime", "SupportedLanguages",
        "DefaultTimeZone", "MultiByteCharsSupported", "NameValue", "FifoCalculationStatus",
        "CompanyInfoEx", "domain", "status", "sparse",
    }
)

# Preferences group -> (XSD type, its properties): groups are updated key by key.
PREFERENCES_GROUPS: dict[str, tuple[str, frozenset[str]]] = {
    "AccountingInfoPrefs": (
        "CompanyAccountingPrefs",
        frozenset(
            {
                "UseAccountNumbers", "DefaultARAccount", "DefaultAPAccount", "RequiresAccounts",
                "TrackDepartments", "DepartmentTerminology", "ClassTrackingPerTxn",
                "ClassTrackingPerTxnLine", "AutoJournalEntryNumber", "FirstMonthOfFiscalYear",
                "TaxYearMonth", "TaxForm", "BookCloseDate", "OtherContactInfo",
                "CustomerTerminology"
            }
        ),
    ),
    "AdvancedInventoryPrefs": (
        "AdvancedInventoryPrefs",
        frozenset(
            {
                "MLIAvailable", "MLIEnabled", "EnhancedInventoryReceivingEnabled",
                "TrackingSerialOrLotNumber", "TrackingOnSalesTransactionsEnabled",
                "TrackingOnPurchaseTransactionsEnabled", "TrackingOnInventoryAdjustmentEnabled",
                "TrackingOnBuildAssemblyEnabled", "FIFOEnabled", "FIFOEffectiveDate",
                "RowShelfBinEnabled", "BarcodeEnabled"
            }
        ),
    ),
    "ProductAndServicesPrefs": (
        "ProductAndServicesPrefs",
        frozenset(
            {
                "ForSales", "ForPurchase", "InventoryAndPurchaseOrder", "QuantityWithPriceAndRate",
                "QuantityOnHand", "UOM", "RevenueRecognition", "RevenueRecognitionFrequency"
            }
        ),
    ),
    "SalesFormsPrefs": (
        "SalesFormsPrefs",
        frozenset(
            {
                "UsingProgressInvoicing", "CustomField", "CustomTxnNumbers", "DelayedCharges",
                "SalesEmailCc", "SalesEmailBcc", "EmailCopyToCompany", "AllowDeposit",
                "AllowDiscount", "DefaultDiscountAccount", "AllowEstimates", "EstimateMessage",
                "ETransactionEnabledStatus", "ETransactionAttachPDF", "ETransactionPaymentEnabled",
                "IPNSupportEnabled", "InvoiceMessage", "AllowServiceDate", "AllowShipping",
                "DefaultShippingAccount", "DefaultItem", "DefaultTerms", "DefaultDeliveryMethod",
                "AutoApplyCredit", "AutoApplyPayments", "PrintItemWithZeroAmount",
                "DefaultShipMethodRef", "DefaultMarkup", "TrackReimbursableExpensesAsIncome",
                "UsingSalesOrders", "UsingPriceLevels", "DefaultFOB", "DefaultCustomerMessage"
            }
        ),
    ),
    "EmailMessagesPrefs": (
        "EmailMessagesPrefs",
        frozenset(
            {
                "NameValue", "InvoiceMessage", "EstimateMessage", "SalesReceiptMessage",
                "StatementMessage"
            }
        ),
    ),
    "PrintDocumentPrefs": (
        "PrintDocumentPrefs",
        frozenset(
            {
                "NameValue"
            }
        ),
    ),
    "VendorAndPurchasesPrefs": (
        "VendorAndPurchasesPrefs",
        frozenset(
            {
                "EnableBills", "TrackingByCustomer", "BillableExpenseTracking", "DefaultTerms",
                "DefaultMarkup", "DefaultMarkupAccount", "AutomaticBillPayment", "TPAREnabled",
                "POCustomField", "MsgToVendors", "UsingInventory", "UsingMultiLocationInventory",
                "DaysBillsAreDue", "DiscountAccountRef"
            }
        ),
    ),
    "TimeTrackingPrefs": (
        "TimeTrackingPrefs",
        frozenset(
            {
                "UseServices", "DefaultTimeItem", "BillCustomers", "ShowBillRateToAll",
                "WorkWeekStartDate", "TimeTrackingEnabled", "MarkTimeEntriesBillable",
                "MarkExpensesAsBillable"
            }
        ),
    ),
    "TaxPrefs": (
        "TaxPrefs",
        frozenset(
            {
                "UsingSalesTax", "PartnerTaxEnabled", "HideTaxManagement", "TaxGroupCodeRef",
                "TaxRateRef", "PaySalesTax", "NonTaxableSalesTaxCodeRef", "TaxableSalesTaxCodeRef"
            }
        ),
    ),
    "FinanceChargesPrefs": (
        "FinanceChargePrefs",
        frozenset(
            {
                "AnnualInterestRate", "MinFinChrg", "GracePeriod", "CalcFinChrgFromTxnDate",
                "AssessFinChrgForOverdueCharges", "FinChrgAccountRef"
            }
        ),
    ),
    "CurrencyPrefs": (
        "CurrencyPrefs",
        frozenset(
            {
                "MultiCurrencyEnabled", "HomeCurrency"
            }
        ),
    ),
    "ReportPrefs": (
        "ReportPrefs",
        frozenset(
            {
                "ReportBasis", "CalcAgingReportFromTxnDate"
            }
        ),
    ),
    "OtherPrefs": (
        "OtherPrefs",
        frozenset(
            {
                "NameValue"
            }
        ),
    ),
}

# fmt: on
