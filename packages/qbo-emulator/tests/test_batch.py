"""Batch: per-item results and Faults, voids through optionsData, the 30-item limit."""

from __future__ import annotations

from decimal import Decimal

from support import Qbo, body, fault_code, payment


class TestBatch:
    async def test_mixed_items_answer_each_on_its_own(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Batch Customer")
        invoice = await qbo.invoice(customer["Id"], "20.00")
        await qbo.post(
            "customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "x"}
        )
        request = {
            "BatchItemRequest": [
                {
                    "bId": "bid1",
                    "operation": "create",
                    "Customer": {"DisplayName": "Boraski Family Store"},
                },
                {"bId": "bid2", "operation": "delete", "Invoice": {"Id": "129", "SyncToken": "0"}},
                {
                    "bId": "bid3",
                    "operation": "update",
                    "Customer": {
                        "Id": customer["Id"],
                        "SyncToken": "0",
                        "sparse": True,
                        "Notes": "y",
                    },
                },
                {"bId": "bid4", "Query": "select * from Invoice where TotalAmt > '10.00'"},
                {
                    "bId": "bid5",
                    "operation": "create",
                    "Customer": {"DisplayName": "batch customer"},
                },
            ]
        }
        response = await qbo.post("batch", request)
        assert response.status_code == 200
        items = {item["bId"]: item for item in body(response)["BatchItemResponse"]}
        assert items["bid1"]["Customer"]["DisplayName"] == "Boraski Family Store"
        assert items["bid2"]["Fault"]["Error"][0]["code"] == "610"
        assert items["bid2"]["Fault"]["type"] == "ValidationFault"
        assert items["bid3"]["Fault"]["Error"][0]["code"] == "5010"
        query = items["bid4"]["QueryResponse"]
        assert [found["Id"] for found in query["Invoice"]] == [invoice["Id"]]
        assert items["bid5"]["Fault"]["Error"][0]["code"] == "6240"
        assert "time" in body(response)

    async def test_void_through_options_data(self, qbo: Qbo) -> None:
        customer = await qbo.customer("Voider")
        invoice = await qbo.invoice(customer["Id"], "30.00")
        paid = await qbo.create(
            "Payment", payment(customer["Id"], "30.00", (invoice["Id"], "30.00"))
        )
        request = {
            "BatchItemRequest": [
                {
                    "bId": "p1",
                    "operation": "update",
                    "optionsData": "void",
                    "Payment": {"Id": paid["Id"], "SyncToken": "0", "sparse": True},
                }
            ]
        }
        item = body(await qbo.post("batch", request))["BatchItemResponse"][0]
        assert item["Payment"]["TotalAmt"] == 0
        assert body(await qbo.get(f"invoice/{invoice['Id']}"))["Invoice"]["Balance"] == Decimal(
            "30.00"
        )

    async def test_more_than_30_items_is_1040(self, qbo: Qbo) -> None:
        request = {
            "BatchItemRequest": [
                {"bId": f"q{index}", "Query": "select * from Customer"} for index in range(31)
            ]
        }
        response = await qbo.post("batch", request)
        assert response.status_code == 400
        assert fault_code(response) == "1040"

    async def test_30_items_are_fine(self, qbo: Qbo) -> None:
        request = {
            "BatchItemRequest": [
                {
                    "bId": f"c{index}",
                    "operation": "create",
                    "Customer": {"DisplayName": f"Bulk {index}"},
                }
                for index in range(30)
            ]
        }
        items = body(await qbo.post("batch", request))["BatchItemResponse"]
        assert [item["bId"] for item in items] == [f"c{index}" for index in range(30)]
        assert all("Customer" in item for item in items)

    async def test_empty_batch_is_refused(self, qbo: Qbo) -> None:
        assert (await qbo.post("batch", {"BatchItemRequest": []})).status_code == 400
