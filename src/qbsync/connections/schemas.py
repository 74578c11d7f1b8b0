"""Per-connection sync settings, stored as JSON on the connection row."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ConnectionSettings(BaseModel):
    # None: the first active Income account (Service Fee Income preferred) in the company.
    income_account_id: str | None = None
    # None: QuickBooks' default, Undeposited Funds.
    deposit_account_id: str | None = None
    fallback_item_name: str = "Subscription Service"
    # Aforo payment method (case-insensitive) -> QBO PaymentMethod Id.
    payment_method_ids: dict[str, str] = Field(default_factory=dict)
    payment_terms_days: int = Field(default=30, ge=0, le=999)

    def payment_method_id(self, method: str | None) -> str | None:
        if not method:
            return None
        wanted = method.casefold()
        return next((v for k, v in self.payment_method_ids.items() if k.casefold() == wanted), None)
