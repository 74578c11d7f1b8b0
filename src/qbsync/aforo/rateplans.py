"""The product service's rate plans (names for invoice items): client and wire schema."""

from __future__ import annotations

from pydantic import AliasChoices, Field, TypeAdapter

from qbsync.aforo.base import AforoModel, AforoServiceClient


class AforoRatePlan(AforoModel):
    """The fields of ``RatePlanResource``'s answer that item naming can use.

    The pricing blocks and the LocalDateTime stamps (createdOn, lastUpdated) are left out:
    nothing reads them and their wire format is unverified.
    """

    rate_plan_id: int = Field(validation_alias=AliasChoices("ratePlanId", "id", "rate_plan_id"))
    rate_plan_code: str | None = None
    rate_plan_name: str | None = None
    description: str | None = None
    billing_frequency: str | None = None  # MONTHLY | WEEKLY | YEARLY | DAILY | HOURLY
    product_id: int | None = None
    product_name: str | None = None
    payment_type: str | None = None  # PREPAID | POSTPAID
    billable_metric_id: int | None = None
    status: str | None = None  # ACTIVE | INACTIVE | DRAFT


_RATE_PLAN = TypeAdapter(AforoRatePlan)


class RatePlanClient(AforoServiceClient):
    service = "rateplan"

    async def get_rate_plan(
        self, rate_plan_id: int, *, org_id: int, caller_token: str | None = None
    ) -> AforoRatePlan:
        """The plan if it belongs to ``org_id``; the service answers 404 otherwise."""
        return await self._get(
            f"/api/rateplans/{rate_plan_id}",
            _RATE_PLAN,
            org_id=org_id,
            caller_token=caller_token,
            what=f"rate plan {rate_plan_id}",
        )
