"""The rate plan client against respx."""

from __future__ import annotations

import httpx
import pytest
import respx

from qbsync.aforo.auth import AforoCredentials
from qbsync.aforo.errors import AforoNotFound, AforoUnavailable
from qbsync.aforo.rateplans import RatePlanClient
from tests.aforo.conftest import FAST_RETRY, ORG_ID, claims_of
from tests.aforo.samples import RATE_PLAN_5


@pytest.fixture
def rate_plans(rateplan_http: httpx.AsyncClient, credentials: AforoCredentials) -> RatePlanClient:
    return RatePlanClient(rateplan_http, credentials, retry=FAST_RETRY)


class TestGetRatePlan:
    async def test_reads_the_name_and_ignores_pricing_blocks_and_local_stamps(
        self, rate_plans: RatePlanClient, rateplan_mock: respx.MockRouter
    ) -> None:
        route = rateplan_mock.get("/api/rateplans/5").mock(
            return_value=httpx.Response(200, json=RATE_PLAN_5)
        )

        plan = await rate_plans.get_rate_plan(5, org_id=ORG_ID)

        assert (plan.rate_plan_id, plan.rate_plan_name) == (5, "Pro Monthly")
        assert (plan.product_name, plan.billing_frequency) == ("API Gateway", "MONTHLY")
        request = route.calls.last.request
        assert request.headers["X-Organization-Id"] == str(ORG_ID)
        assert claims_of(request)["orgId"] == ORG_ID

    async def test_a_plan_of_another_org_is_not_found(
        self, rate_plans: RatePlanClient, rateplan_mock: respx.MockRouter
    ) -> None:
        rateplan_mock.get("/api/rateplans/5").mock(return_value=httpx.Response(404))

        with pytest.raises(AforoNotFound) as raised:
            await rate_plans.get_rate_plan(5, org_id=ORG_ID)

        assert raised.value.service == "rateplan"

    async def test_an_outage_is_retried_and_then_unavailable(
        self, rate_plans: RatePlanClient, rateplan_mock: respx.MockRouter
    ) -> None:
        route = rateplan_mock.get("/api/rateplans/5").mock(
            side_effect=httpx.ConnectError("refused")
        )

        with pytest.raises(AforoUnavailable):
            await rate_plans.get_rate_plan(5, org_id=ORG_ID)

        assert route.call_count == FAST_RETRY.max_attempts
