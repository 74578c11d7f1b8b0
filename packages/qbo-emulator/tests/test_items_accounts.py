"""Seeded chart of accounts, Item rules, CompanyInfo and Preferences."""

from __future__ import annotations

from support import SEED_REALM, Qbo, body, fault_code


class TestSeed:
    async def test_income_accounts_and_banking(self, qbo: Qbo) -> None:
        accounts = body(await qbo.query("SELECT * FROM Account MAXRESULTS 1000"))["QueryResponse"]
        by_name = {account["Name"]: account for account in accounts["Account"]}
        assert by_name["Services"]["Id"] == "1"
        assert by_name["Services"]["AccountSubType"] == "ServiceFeeIncome"
        assert by_name["Services"]["Classification"] == "Revenue"
        assert by_name["Sales of Product Income"]["Id"] == "79"
        assert by_name["Undeposited Funds"]["AccountType"] == "Other Current Asset"
        assert by_name["Checking"]["AccountType"] == "Bank"

    async def test_income_accounts_by_query(self, qbo: Qbo) -> None:
        response = await qbo.query(
            "SELECT * FROM Account WHERE AccountType = 'Income' AND Active = true"
        )
        names = {account["Name"] for account in body(response)["QueryResponse"]["Account"]}
        assert {"Services", "Sales of Product Income"} <= names
        assert "Checking" not in names

    async def test_services_item(self, qbo: Qbo) -> None:
        item = body(await qbo.get("item/1"))["Item"]
        assert (item["Name"], item["Type"]) == ("Services", "Service")
        assert item["IncomeAccountRef"] == {"value": "1", "name": "Services"}

    async def test_company_info(self, qbo: Qbo) -> None:
        info = body(await qbo.get(f"companyinfo/{SEED_REALM}"))["CompanyInfo"]
        assert info["CompanyName"] == "Emulated Sandbox Co"
        assert info["Country"] == "US"
        assert info["Id"] == "1"

    async def test_preferences(self, qbo: Qbo) -> None:
        prefs = body(await qbo.get("preferences"))["Preferences"]
        assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is True
        assert prefs["SalesFormsPrefs"]["AllowDiscount"] is True
        assert prefs["CurrencyPrefs"] == {
            "MultiCurrencyEnabled": False,
            "HomeCurrency": {"value": "USD"},
        }
        assert prefs["TaxPrefs"]["UsingSalesTax"] is False


class TestItems:
    async def test_create_service_item(self, qbo: Qbo) -> None:
        item = await qbo.create(
            "Item",
            {
                "Name": "Pro Plan",
                "Type": "Service",
                "IncomeAccountRef": {"value": "79"},
                "UnitPrice": 49,
            },
        )
        assert item["IncomeAccountRef"] == {"value": "79", "name": "Sales of Product Income"}
        assert item["FullyQualifiedName"] == "Pro Plan"
        assert item["UnitPrice"] == 49

    async def test_item_name_unique_6240(self, qbo: Qbo) -> None:
        response = await qbo.post(
            "item", {"Name": "services", "Type": "Service", "IncomeAccountRef": {"value": "1"}}
        )
        assert fault_code(response) == "6240"

    async def test_service_needs_income_account_2020(self, qbo: Qbo) -> None:
        response = await qbo.post("item", {"Name": "No Account", "Type": "Service"})
        error = body(response)["Fault"]["Error"][0]
        assert (error["code"], error["element"]) == ("2020", "IncomeAccountRef")

    async def test_income_account_must_be_income_6430(self, qbo: Qbo) -> None:
        response = await qbo.post(
            "item", {"Name": "Bad", "Type": "Service", "IncomeAccountRef": {"value": "35"}}
        )
        assert fault_code(response) == "6430"

    async def test_unknown_account_610(self, qbo: Qbo) -> None:
        response = await qbo.post(
            "item", {"Name": "Bad", "Type": "Service", "IncomeAccountRef": {"value": "999"}}
        )
        assert fault_code(response) == "610"

    async def test_group_items_cannot_be_created(self, qbo: Qbo) -> None:
        assert fault_code(await qbo.post("item", {"Name": "Bundle", "Type": "Group"})) == "2170"

    async def test_inactive_item_on_an_invoice_is_610(self, qbo: Qbo) -> None:
        item = await qbo.create(
            "Item", {"Name": "Old", "Type": "Service", "IncomeAccountRef": {"value": "1"}}
        )
        await qbo.post(
            "item", {"Id": item["Id"], "SyncToken": "0", "sparse": True, "Active": False}
        )
        customer = await qbo.customer("Buyer")
        invoice = {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [
                {
                    "Amount": 5,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}},
                }
            ],
        }
        assert fault_code(await qbo.post("invoice", invoice)) == "610"


class TestAccounts:
    async def test_create_from_subtype(self, qbo: Qbo) -> None:
        account = await qbo.create(
            "Account", {"Name": "Consulting Income", "AccountSubType": "ServiceFeeIncome"}
        )
        assert account["AccountType"] == "Income"
        assert account["Classification"] == "Revenue"

    async def test_name_rules(self, qbo: Qbo) -> None:
        assert (
            fault_code(await qbo.post("account", {"Name": "checking", "AccountType": "Bank"}))
            == "6240"
        )
        assert (
            fault_code(await qbo.post("account", {"Name": 'a "b"', "AccountType": "Bank"}))
            == "2040"
        )
        assert fault_code(await qbo.post("account", {"Name": "x", "AccountType": "Nope"})) == "2170"


class TestPreferencesUpdate:
    async def test_turning_discounts_off_refuses_discount_lines(self, qbo: Qbo) -> None:
        prefs = body(await qbo.get("preferences"))["Preferences"]
        update = {
            "Id": "1",
            "SyncToken": prefs["SyncToken"],
            "sparse": True,
            "SalesFormsPrefs": {"AllowDiscount": False},
        }
        updated = body(await qbo.post("preferences", update))["Preferences"]
        assert updated["SalesFormsPrefs"]["AllowDiscount"] is False
        assert updated["SalesFormsPrefs"]["CustomTxnNumbers"] is True
        customer = await qbo.customer("Discounted")
        invoice = {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [
                {
                    "Amount": 100,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                },
                {
                    "Amount": 10,
                    "DetailType": "DiscountLineDetail",
                    "DiscountLineDetail": {"PercentBased": False},
                },
            ],
        }
        assert fault_code(await qbo.post("invoice", invoice)) == "6000"
