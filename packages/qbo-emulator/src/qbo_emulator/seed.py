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


def _preferences() -> JsonObject:
    return {
        "AccountingInfoPrefs": {
            "TrackDepartments": False,
            "ClassTrackingPerTxn": False,
            "ClassTrackingPerTxnLine": False,
            "CustomerTerminology": "Customers",
        },
        "ProductAndServicesPrefs": {"ForSales": True, "ForPurchase": True},
        "SalesFormsPrefs": {
            "CustomTxnNumbers": True,
            "AllowDiscount": True,
            "AllowDeposit": False,
            "AllowShipping": False,
            "AllowEstimates": True,
            "ETransactionEnabledStatus": "NotApplicable",
            "DefaultTerms": {"value": "3"},
        },
        "CurrencyPrefs": {
            "MultiCurrencyEnabled": False,
            "HomeCurrency": {"value": "USD"},
        },
        "TaxPrefs": {"UsingSalesTax": False, "PartnerTaxEnabled": False},
        "OtherPrefs": {
            "NameValue": [{"Name": "SalesFormsPrefs.DefaultCustomerMessage", "Value": ""}]
        },
    }


def _company_info(realm_id: str, company_name: str) -> JsonObject:
    address = {
        "Id": "1",
        "Line1": "123 Sierra Way",
        "City": "San Pablo",
        "CountrySubDivisionCode": "CA",
        "PostalCode": "87999",
        "Country": "US",
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
        "Country": "US",
        "Email": {"Address": f"owner-{realm_id}@example.com"},
        "WebAddr": {},
        "SupportedLanguages": "en",
        "NameValue": [{"Name": "OfferingSku", "Value": "QuickBooks Online Plus"}],
    }


def seed_realm(realm_id: str, *, company_name: str, environment: Environment) -> Realm:
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
    realm.add("CompanyInfo", _company_info(realm_id, company_name), record_id="1")
    realm.add("Preferences", _preferences(), record_id="1")
    seed_lists(realm)
    return realm
