"""Per-connection sync settings (account and item mapping), stored as JSON on the
connection row; a person reads and changes them through ``/api/quickbooks/settings``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

QboId = str
DraftPolicy = Literal["wait", "sync"]
CreditPolicy = Literal["company", "always", "never"]


class ConnectionSettings(BaseModel):
    # snake_case in the row, camelCase in the API; both are read.
    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True
    )

    # Income account of new service items. None: the first active Income account (Service
    # Fee Income preferred); a rate plan's or a product's own account wins over it.
    income_account_id: QboId | None = None
    rate_plan_income_account_ids: dict[str, QboId] = Field(default_factory=dict)
    product_income_account_ids: dict[str, QboId] = Field(default_factory=dict)
    # An existing item to use for a rate plan instead of creating one, and for lines with
    # no rate plan (else an item named fallback_item_name, created on demand).
    rate_plan_item_ids: dict[str, QboId] = Field(default_factory=dict)
    fallback_item_id: QboId | None = None
    fallback_item_name: str = Field(default="Subscription Service", min_length=1, max_length=100)
    # Where payments go. None: QuickBooks' default, Undeposited Funds.
    deposit_account_id: QboId | None = None
    # The account refunds are paid from (Bank or Other Current Asset). None: the deposit
    # account, else the company's first active Bank account.
    refund_account_id: QboId | None = None
    # Aforo payment method (case-insensitive) -> QBO PaymentMethod Id.
    payment_method_ids: dict[str, QboId] = Field(default_factory=dict)
    # Net days after the invoice date; a QBO Term (sales_term_id) takes over when set.
    payment_terms_days: int = Field(default=30, ge=0, le=999)
    sales_term_id: QboId | None = None
    # Non-US companies: Aforo tax rate in percent ("20", "8.5") -> QBO TaxCode Id, and the
    # code of lines Aforo gave no rate.
    tax_code_ids: dict[str, QboId] = Field(default_factory=dict)
    default_tax_code_id: QboId | None = None
    # Only for companies that track classes / locations.
    class_id: QboId | None = None
    department_id: QboId | None = None
    # DRAFT invoices wait until issued ("wait") or are posted as they are ("sync"). The
    # default posts them, as the original service did: metering publishes no event when it
    # issues an invoice yet (invoice.updated is our contract), so a waiting draft would
    # wait for a retry or a backfill.
    draft_invoices: DraftPolicy = "sync"
    # Credits applied to open invoices: as the company's AutoApplyCredit preference says,
    # always, or never (left as open credit).
    apply_credits: CreditPolicy = "company"
    # A synced record deleted in QuickBooks: create it again (and log it), or only flag it.
    on_deleted_in_quickbooks: Literal["recreate", "flag"] = "recreate"
    # A synced record edited in QuickBooks against Aforo's truth: flag the drift, or write
    # Aforo's version over it at once.
    on_edited_in_quickbooks: Literal["flag", "repush"] = "flag"

    def payment_method_id(self, method: str | None) -> str | None:
        if not method:
            return None
        wanted = method.casefold()
        return next((v for k, v in self.payment_method_ids.items() if k.casefold() == wanted), None)

    def stored(self) -> dict[str, object]:
        """The row's JSON: snake_case, every field (defaults included, so a reader sees them)."""
        return self.model_dump(mode="json", by_alias=False)
