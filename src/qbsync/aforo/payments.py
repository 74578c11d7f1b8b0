"""The payment service (a contract of ours; no Aforo service has payments yet): client and schema."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

from pydantic import AliasChoices, Field, TypeAdapter

from qbsync.aforo.base import AforoModel, AforoServiceClient, UtcDatetime
from qbsync.aforo.refunds import REFUND, AforoRefund


class AforoPayment(AforoModel):
    # Ids of other Aforo records are numbers; a payment id may be a number or an opaque string.
    id: str = Field(validation_alias=AliasChoices("id", "paymentId", "payment_id"))
    organization_id: int
    customer_id: int
    invoice_id: int
    amount: Decimal
    currency: str | None = None
    payment_method: str | None = None
    paid_at: UtcDatetime
    reference: str | None = None
    # Our contract: SUCCEEDED (absent: the same), FAILED, CHARGED_BACK, REFUNDED.
    status: str | None = None


_PAYMENT = TypeAdapter(AforoPayment)


class PaymentClient(AforoServiceClient):
    service = "payment"

    async def get_payment(
        self, payment_id: str | int, *, org_id: int, caller_token: str | None = None
    ) -> AforoPayment:
        return await self._get(
            f"/api/payments/{quote(str(payment_id), safe='')}",
            _PAYMENT,
            org_id=org_id,
            caller_token=caller_token,
            what=f"payment {payment_id}",
            owner=lambda record: record.organization_id,
        )

    async def get_refund(
        self, refund_id: str | int, *, org_id: int, caller_token: str | None = None
    ) -> AforoRefund:
        return await self._get(
            f"/api/refunds/{quote(str(refund_id), safe='')}",
            REFUND,
            org_id=org_id,
            caller_token=caller_token,
            what=f"refund {refund_id}",
            owner=lambda record: record.organization_id,
        )
