"""The org service client against respx: customers, the ACTIVE list, errors."""

from __future__ import annotations

import httpx
import pytest
import respx

from qbsync.aforo.auth import AforoCredentials
from qbsync.aforo.errors import AforoNotFound, AforoRejected
from qbsync.aforo.orgs import AforoCustomer, OrgClient
from tests.aforo.conftest import FAST_RETRY, ORG_ID, START, caller_token, claims_of
from tests.aforo.samples import CUSTOMER_7


@pytest.fixture
def orgs(org_http: httpx.AsyncClient, credentials: AforoCredentials) -> OrgClient:
    return OrgClient(org_http, credentials, retry=FAST_RETRY)


class TestGetCustomer:
    async def test_reads_every_field_the_service_sends(
        self, orgs: OrgClient, org_mock: respx.MockRouter
    ) -> None:
        route = org_mock.get("/v1/api/customers/7").mock(
            return_value=httpx.Response(200, json=CUSTOMER_7)
        )

        customer = await orgs.get_customer(7, org_id=ORG_ID)

        assert customer.customer_id == 7
        assert customer.customer_name == 'Zoë "ZZ": Café'
        assert (customer.company_name, customer.company_type) == ("Café GmbH", "BUSINESS")
        assert customer.primary_email == "zoe@cafe.example"
        assert customer.additional_email_recipients == ["cfo@cafe.example"]
        assert customer.customer_address_line1 == "Königstraße 7"
        assert customer.customer_address_line2 is None
        assert customer.billing_same_as_customer is False
        assert (customer.billing_city, customer.billing_postal_code) == ("Berlin", "10115")
        assert customer.is_active
        request = route.calls.last.request
        assert request.headers["X-Organization-Id"] == str(ORG_ID)
        assert claims_of(request)["organizationId"] == ORG_ID

    async def test_accepts_id_in_place_of_customer_id_and_sparse_records(
        self, orgs: OrgClient, org_mock: respx.MockRouter
    ) -> None:
        org_mock.get("/v1/api/customers/8").mock(
            return_value=httpx.Response(
                200,
                json={"id": 8, "customerName": "Sparse", "additionalEmailRecipients": None},
            )
        )

        customer = await orgs.get_customer(8, org_id=ORG_ID)

        assert customer == AforoCustomer(customer_id=8, customer_name="Sparse")
        assert customer.status is None
        assert not customer.is_active

    async def test_forwards_the_users_token(
        self, orgs: OrgClient, org_mock: respx.MockRouter
    ) -> None:
        token = caller_token(
            sub="user@acme", organizationId=ORG_ID, exp=int(START.timestamp()) + 3600
        )
        route = org_mock.get("/v1/api/customers/7").mock(
            return_value=httpx.Response(200, json=CUSTOMER_7)
        )

        await orgs.get_customer(7, org_id=ORG_ID, caller_token=token)

        assert route.calls.last.request.headers["Authorization"] == f"Bearer {token}"

    async def test_mints_rather_than_forward_another_orgs_token(
        self, orgs: OrgClient, org_mock: respx.MockRouter
    ) -> None:
        token = caller_token(
            sub="user@other", organizationId=ORG_ID + 1, exp=int(START.timestamp()) + 3600
        )
        route = org_mock.get("/v1/api/customers/7").mock(
            return_value=httpx.Response(200, json=CUSTOMER_7)
        )

        await orgs.get_customer(7, org_id=ORG_ID, caller_token=token)

        claims = claims_of(route.calls.last.request)
        assert (claims["sub"], claims["orgId"]) == ("qbsync", ORG_ID)

    async def test_404_is_not_found_and_not_retried(
        self, orgs: OrgClient, org_mock: respx.MockRouter
    ) -> None:
        route = org_mock.get("/v1/api/customers/7").mock(
            return_value=httpx.Response(404, json={"status": 404, "error": "Not Found"})
        )

        with pytest.raises(AforoNotFound) as raised:
            await orgs.get_customer(7, org_id=ORG_ID)

        assert route.call_count == 1
        assert raised.value.retryable is False
        assert raised.value.category == "DEPENDENCY"
        assert (raised.value.service, raised.value.upstream_status) == ("org", 404)

    async def test_401_is_rejected(self, orgs: OrgClient, org_mock: respx.MockRouter) -> None:
        org_mock.get("/v1/api/customers/7").mock(return_value=httpx.Response(401))

        with pytest.raises(AforoRejected) as raised:
            await orgs.get_customer(7, org_id=ORG_ID)

        assert (raised.value.service, raised.value.upstream_status) == ("org", 401)


class TestListActiveCustomers:
    async def test_asks_for_active_and_keeps_only_active(
        self, orgs: OrgClient, org_mock: respx.MockRouter
    ) -> None:
        route = org_mock.get("/v1/api/customers", params={"status": "ACTIVE"}).mock(
            return_value=httpx.Response(
                200,
                json=[
                    CUSTOMER_7,
                    {"customerId": 8, "customerName": "Drafty", "status": "DRAFT"},
                    {"customerId": 9, "customerName": "Lower", "status": "active"},
                ],
            )
        )

        customers = await orgs.list_active_customers(org_id=ORG_ID)

        assert [customer.customer_id for customer in customers] == [7, 9]
        assert route.calls.last.request.headers["X-Organization-Id"] == str(ORG_ID)

    async def test_an_object_where_the_array_belongs_is_a_bad_payload(
        self, orgs: OrgClient, org_mock: respx.MockRouter
    ) -> None:
        from qbsync.aforo.errors import AforoBadPayload

        org_mock.get("/v1/api/customers").mock(return_value=httpx.Response(200, json=CUSTOMER_7))

        with pytest.raises(AforoBadPayload):
            await orgs.list_active_customers(org_id=ORG_ID)
