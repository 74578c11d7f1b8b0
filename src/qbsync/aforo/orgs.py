"""The organization service's customers: client and wire schemas."""

from __future__ import annotations

from pydantic import AliasChoices, Field, TypeAdapter, field_validator

from qbsync.aforo.base import AforoModel, AforoServiceClient

ACTIVE = "ACTIVE"


class AforoCustomer(AforoModel):
    """A customer as the org service (and the UI's Customer type) spells it."""

    # The service says customerId; some payloads the UI handles carry id instead.
    customer_id: int = Field(validation_alias=AliasChoices("customerId", "id", "customer_id"))
    organization_id: int | None = None
    customer_name: str | None = None
    company_name: str | None = None
    company_type: str | None = None  # INDIVIDUAL | BUSINESS
    primary_email: str | None = None
    additional_email_recipients: list[str] = Field(default_factory=list)
    phone_number: str | None = None
    status: str | None = None  # DRAFT | ACTIVE
    customer_address_line1: str | None = None
    customer_address_line2: str | None = None
    customer_city: str | None = None
    customer_state: str | None = None
    customer_postal_code: str | None = None
    customer_country: str | None = None
    billing_same_as_customer: bool | None = None
    billing_address_line1: str | None = None
    billing_address_line2: str | None = None
    billing_city: str | None = None
    billing_state: str | None = None
    billing_postal_code: str | None = None
    billing_country: str | None = None
    company_logo_url: str | None = None

    @field_validator("additional_email_recipients", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return [] if value is None else value

    @property
    def is_active(self) -> bool:
        return (self.status or "").upper() == ACTIVE


_CUSTOMER = TypeAdapter(AforoCustomer)
_CUSTOMERS = TypeAdapter(list[AforoCustomer])


class OrgClient(AforoServiceClient):
    service = "org"

    async def get_customer(
        self, customer_id: int, *, org_id: int, caller_token: str | None = None
    ) -> AforoCustomer:
        return await self._get(
            f"/v1/api/customers/{customer_id}",
            _CUSTOMER,
            org_id=org_id,
            caller_token=caller_token,
            what=f"customer {customer_id}",
            owner=lambda record: record.organization_id,
        )

    async def list_active_customers(
        self, *, org_id: int, caller_token: str | None = None
    ) -> list[AforoCustomer]:
        customers = await self._get(
            "/v1/api/customers",
            _CUSTOMERS,
            org_id=org_id,
            caller_token=caller_token,
            what=f"active customers of org {org_id}",
            params={"status": ACTIVE},
        )
        # The filter is also applied here: the service is not ours and may ignore the query.
        return [customer for customer in customers if customer.is_active]
