"""The money fields of a document for one company: tax (US or a code per line), currency,
terms, class and location, from its setup and the organization's settings."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TypeVar

from qbsync.quickbooks.schemas import Customer, Ref
from qbsync.quickbooks.schemas.credit import CreditMemo
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.quickbooks.schemas.payment import Payment
from qbsync.sync.company import CompanySetup, company_setup
from qbsync.sync.context import SyncContext
from qbsync.sync.mappers.currency import CurrencyFields, document_currency
from qbsync.sync.mappers.tax import apply_tax, tax_mismatch

DocumentT = TypeVar("DocumentT", Invoice, CreditMemo)


async def customer_currency(
    ctx: SyncContext, setup: CompanySetup, customer_qbo_id: str
) -> str | None:
    """The customer's QuickBooks currency (fixed once created); None in a one-currency company."""
    if not setup.currency.multi_currency:
        return None
    customer = await ctx.qbo.read(Customer, customer_qbo_id)
    return customer.currency_ref.value if customer.currency_ref else None


async def currency_fields(
    ctx: SyncContext,
    setup: CompanySetup,
    *,
    customer_qbo_id: str,
    currency: str | None,
    exchange_rate: Decimal | None,
    what: str,
) -> CurrencyFields:
    held = await customer_currency(ctx, setup, customer_qbo_id)
    return document_currency(
        setup.currency, document=currency, customer=held, exchange_rate=exchange_rate, what=what
    )


async def currency_as(
    ctx: SyncContext,
    setup: CompanySetup,
    sibling: Invoice | Payment,
    *,
    currency: str | None,
    what: str,
) -> CurrencyFields:
    """The currency fields of a document of ``sibling``'s customer. A QuickBooks document is
    in its customer's currency, so ``sibling`` (as qbsync wrote it) says it without reading
    the customer; the customer is read only when it does not."""
    assert sibling.customer_ref is not None
    held = sibling.currency_ref.value if sibling.currency_ref is not None else None
    if setup.currency.multi_currency and held is None:
        held = await customer_currency(ctx, setup, sibling.customer_ref.value)
    return document_currency(
        setup.currency, document=currency, customer=held, exchange_rate=None, what=what
    )


async def with_money_fields(
    ctx: SyncContext,
    payload: DocumentT,
    *,
    line_rates: Sequence[Decimal | None],
    aforo_tax: Decimal | None,
    document_rate: Decimal | None,
    currency: str | None,
    exchange_rate: Decimal | None,
    what: str,
) -> DocumentT:
    """``payload`` with its tax, currency, class and location for this company (and terms for
    invoices). Refuses (never guesses) an unmapped tax rate or a currency mismatch."""
    setup = await company_setup(ctx)
    settings = ctx.settings
    assert payload.customer_ref is not None
    taxed = apply_tax(
        payload.line or [],
        line_rates,
        setup=setup.tax,
        aforo_tax=aforo_tax,
        document_rate=document_rate,
        tax_code_ids=settings.tax_code_ids,
        default_tax_code_id=settings.default_tax_code_id,
    )
    money = await currency_fields(
        ctx,
        setup,
        customer_qbo_id=payload.customer_ref.value,
        currency=currency,
        exchange_rate=exchange_rate,
        what=what,
    )
    update: dict[str, object] = {
        "line": taxed.lines,
        "txn_tax_detail": taxed.detail,
        "global_tax_calculation": taxed.global_tax_calculation,
        "currency_ref": money.currency_ref,
        "exchange_rate": money.exchange_rate,
    }
    if settings.class_id and setup.tracks_classes:
        update["class_ref"] = Ref(value=settings.class_id)
    if settings.department_id and setup.tracks_departments:
        update["department_ref"] = Ref(value=settings.department_id)
    if isinstance(payload, Invoice) and settings.sales_term_id:
        # QuickBooks computes DueDate from the term.
        update["sales_term_ref"] = Ref(value=settings.sales_term_id)
        update["due_date"] = None
    return payload.model_copy(update=update)


def tax_note(aforo_tax: Decimal | None, written: Invoice | CreditMemo | None) -> str | None:
    if written is None:
        return None
    detail = written.txn_tax_detail
    return tax_mismatch(aforo_tax, detail.total_tax if detail else None)
