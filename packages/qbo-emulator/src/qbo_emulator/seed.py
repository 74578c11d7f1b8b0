"""What a new emulated company holds: a sandbox-like chart of accounts, the "Services" item,
CompanyInfo, Preferences, and a few vendor and employee names (so 6240 can be hit)."""

from __future__ import annotations

from decimal import Decimal

from qbo_emulator import clock
from qbo_emulator.realm import Environment, Realm
from qbo_emulator.seed_lists import seed_lists
from qbo_emulator.wire import JsonObject

# (Id, Name, AccountType, AccountSubType). Ids 1, 4, 35 and 79 are those of Intuit's US
# sandbox companies (shared/reference/quickbooks-api.md §11, fixture batch_basic.yml).
CHART_OF_ACCOUNTS = (
    ("1", "Services", "Income", "ServiceFeeIncome"),
    ("2", "Retained Earnings", "Equity", "RetainedEarnings"),
    ("4", "Undeposited Funds", "Other Current Asset", "UndepositedFunds"),
    ("7", "Advertising", "Expense", "AdvertisingPromotional"),
    ("33", "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("34", "Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
    ("35", "Checking", "Bank", "Checking"),
    ("36", "Savings", "Bank", "Savings"),
    ("79", "Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("80", "Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ("83", "Other Income", "Other Income", "OtherMiscellaneousIncome"),
    ("84", "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("86", "Discounts given", "Income", "DiscountsRefundsGiven"),
    ("87", "Unapplied Cash Payment Income", "Income", "UnappliedCashPaymentIncome"),
)
VENDORS = (("56", "Robertson & Associates"), ("41", "Norton Lumber and Building Materials"))
EMPLOYEES = (("55", "Emily Platt"), ("54", "John Johnson"))


def _email(kind: str) -> JsonObject:
    return {
        "Subject": f"{kind} from [Company Name]",
        "Message": f"Your {kind.lower()} is attached. Thank you for your business.",
    }


def _preferences() -> JsonObject:
    """The ten groups QBO answers with (Intuit's sample response and the payload-derived types
    of public clients; the XSD's AdvancedInventoryPrefs, PrintDocumentPrefs and
    FinanceChargesPrefs do not appear in them; nor do the legacy custom-field definitions,
    SalesFormsPrefs.CustomField and VendorAndPurchasesPrefs.POCustomField, whose abstract XSD
    type has no XML form to copy). Values: a new US sandbox company's."""
    return {
        "AccountingInfoPrefs": {
            "FirstMonthOfFiscalYear": "January",
            "UseAccountNumbers": False,
            "TaxYearMonth": "January",
            "ClassTrackingPerTxn": False,
            "TrackDepartments": False,
            "TaxForm": "6",
            "CustomerTerminology": "Customers",
            "DepartmentTerminology": "Location",
            "ClassTrackingPerTxnLine": False,
        },
        "ProductAndServicesPrefs": {
            "ForSales": True,
            "ForPurchase": True,
            "QuantityWithPriceAndRate": True,
            "QuantityOnHand": True,
        },
        "SalesFormsPrefs": {
            "CustomTxnNumbers": True,
            "EmailCopyToCompany": False,
            "AllowDeposit": False,
            "AllowDiscount": True,
            "DefaultDiscountAccount": "86",
            "AllowEstimates": True,
            "ETransactionEnabledStatus": "NotApplicable",
            "ETransactionAttachPDF": False,
            "ETransactionPaymentEnabled": False,
            "IPNSupportEnabled": False,
            "AllowServiceDate": False,
            "AllowShipping": False,
            "DefaultTerms": {"value": "3"},
            "AutoApplyCredit": True,
            "AutoApplyPayments": True,
            "UsingPriceLevels": False,
        },
        "EmailMessagesPrefs": {
            "InvoiceMessage": _email("Invoice"),
            "EstimateMessage": _email("Estimate"),
            "SalesReceiptMessage": _email("Sales Receipt"),
            "StatementMessage": _email("Statement"),
        },
        "VendorAndPurchasesPrefs": {
            "TrackingByCustomer": True,
            "BillableExpenseTracking": True,
        },
        "TimeTrackingPrefs": {
            "UseServices": True,
            "BillCustomers": True,
            "ShowBillRateToAll": False,
            "WorkWeekStartDate": "Monday",
            "MarkTimeEntriesBillable": True,
        },
        "TaxPrefs": {"UsingSalesTax": False, "PartnerTaxEnabled": False},
        "CurrencyPrefs": {
            "MultiCurrencyEnabled": False,
            "HomeCurrency": {"value": "USD"},
        },
        "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": False},
        "OtherPrefs": {
            "NameValue": [
                {"Name": "SalesFormsPrefs.DefaultCustomerMessage", "Value": ""},
                {"Name": "DTXCopyMemo", "Value": "false"},
                {"Name": "UncategorizedAssetAccountId", "Value": "32"},
                {"Name": "UncategorizedIncomeAccountId", "Value": "30"},
                {"Name": "UncategorizedExpenseAccountId", "Value": "31"},
            ]
        },
    }


def _company_info(realm_id: str, company_name: str, country: str) -> JsonObject:
    address = {
        "Id": "1",
        "Line1": "123 Sierra Way",
        "City": "San Pablo",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "87999",
        "Country": country,
    }
    return {
        "CompanyName": company_name,
        "LegalName": company_name,
        "CompanyAddr": address,
        "CustomerCommunicationAddr": address,
        "LegalAddr": address,
        "PrimaryPhone": {"FreeFormNumber": "4081234567"},
        "CompanyStartDate": clock.company_today().isoformat(),
        "FiscalYearStartMonth": "January",
        "Country": country,
        "Email": {"Address": f"owner-{realm_id}@example.com"},
        "WebAddr": {},
        "SupportedLanguages": "en",
        "NameValue": [{"Name": "OfferingSku", "Value": "QuickBooks Online Plus"}],
    }


def seed_realm(
    realm_id: str, *, company_name: str, environment: Environment, country: str = "US"
) -> Realm:
    realm = Realm(realm_id=realm_id, company_name=company_name, environment=environment)
    usd = {"value": "USD", "name": "United States Dollar"}
    for account_id, name, account_type, sub_type in CHART_OF_ACCOUNTS:
        body: JsonObject = {
            "Name": name,
            "SubAccount": False,
            "Active": True,
            "AccountType": account_type,
            "AccountSubType": sub_type,
            "CurrencyRef": dict(usd),
        }
        realm.add("Account", body, record_id=account_id)
    services: JsonObject = {
        "Name": "Services",
        "Active": True,
        "Type": "Service",
        "Taxable": False,
        "UnitPrice": Decimal("0"),
        "PurchaseCost": Decimal("0"),
        "IncomeAccountRef": {"value": "1", "name": "Services"},
        "SalesTaxIncluded": False,
        "PurchaseTaxIncluded": False,
        "TrackQtyOnHand": False,
    }
    realm.add("Item", services, record_id="1")
    for vendor_id, name in VENDORS:
        realm.add(
            "Vendor",
            {"DisplayName": name, "PrintOnCheckName": name, "Active": True},
            record_id=vendor_id,
        )
    for employee_id, name in EMPLOYEES:
        realm.add(
            "Employee",
            {"DisplayName": name, "PrintOnCheckName": name, "Active": True},
            record_id=employee_id,
        )
    realm.add("CompanyInfo", _company_info(realm_id, company_name, country), record_id="1")
    realm.add("Preferences", _preferences(), record_id="1")
    seed_lists(realm)
    return realm
