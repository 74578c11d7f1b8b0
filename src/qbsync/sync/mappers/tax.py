"""Sales tax on a document's lines: how the company taxes (none, US automated sales tax, a
tax code per line elsewhere) and what Aforo computed, as QuickBooks wants them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from qbsync.aforo.billing import AforoInvoice
from qbsync.errors import InvalidInput
from qbsync.quickbooks.schemas import (
    CompanyInfo,
    Line,
    Preferences,
    Ref,
    SalesItemLine,
    TxnTaxDetail,
)
from qbsync.sync.mappers.invoices import money

US_TAXABLE = "TAX"
US_EXEMPT = "NON"
# Tax is added on top of the lines (Aforo's amounts are net of tax).
TAX_EXCLUDED = "TaxExcluded"


class TaxMode(StrEnum):
    NONE = "NONE"  # the company does not use sales tax: no tax fields at all
    US = "US"  # US sales tax: lines TAX or NON, QuickBooks computes unless overridden
    PER_LINE = "PER_LINE"  # VAT/GST: every line names one of the company's tax codes


@dataclass(frozen=True)
class TaxSetup:
    mode: TaxMode
    automated: bool = False
    # The code US tax is charged under (TaxPrefs.TaxGroupCodeRef): the override names it.
    us_code_id: str | None = None


def tax_setup(company: CompanyInfo, preferences: Preferences) -> TaxSetup:
    prefs = preferences.tax_prefs
    if prefs is None or not prefs.using_sales_tax:
        return TaxSetup(TaxMode.NONE)
    code = prefs.tax_group_code_ref.value if prefs.tax_group_code_ref else None
    if (company.country or "US").upper() in {"US", "USA"}:
        return TaxSetup(TaxMode.US, automated=bool(prefs.partner_tax_enabled), us_code_id=code)
    return TaxSetup(TaxMode.PER_LINE)


def rate_key(rate: Decimal) -> str:
    """``20``, ``20.0`` and ``20.00`` are one rate: the settings map is keyed by this."""
    return format(rate.normalize(), "f")


@dataclass(frozen=True)
class TaxedLines:
    lines: list[Line]
    detail: TxnTaxDetail | None
    global_tax_calculation: str | None


def apply_tax(
    lines: Sequence[Line],
    line_rates: Sequence[Decimal | None],
    *,
    setup: TaxSetup,
    aforo_tax: Decimal | None,
    document_rate: Decimal | None,
    tax_code_ids: Mapping[str, str],
    default_tax_code_id: str | None,
) -> TaxedLines:
    """``line_rates[i]`` is Aforo's rate of the i-th sales line (None: not said).

    US: a line is TAX unless Aforo says its rate is 0; where Aforo computed the tax it is
    sent as the override (TxnTaxCodeRef + TotalTax), else QuickBooks computes it.
    Elsewhere: each sales line carries the tax code mapped from its rate (or the document's),
    the default code when Aforo gave no rate; a rate nobody mapped is refused, never guessed.
    """
    if setup.mode == TaxMode.NONE:
        return TaxedLines(list(lines), None, None)
    sales = [line for line in lines if isinstance(line, SalesItemLine)]
    if len(sales) != len(line_rates):
        raise ValueError("one rate per sales line")
    codes = [
        _line_code(
            rate if rate is not None else document_rate, setup, tax_code_ids, default_tax_code_id
        )
        for rate in line_rates
    ]
    coded = iter(codes)
    out: list[Line] = []
    for line in lines:
        if isinstance(line, SalesItemLine):
            detail = line.sales_item_line_detail.model_copy(
                update={"tax_code_ref": Ref(value=next(coded))}
            )
            line = line.model_copy(update={"sales_item_line_detail": detail})
        out.append(line)
    if setup.mode == TaxMode.PER_LINE:
        return TaxedLines(out, None, TAX_EXCLUDED)
    if aforo_tax is None or setup.us_code_id is None:
        return TaxedLines(out, None, None)
    override = TxnTaxDetail(
        txn_tax_code_ref=Ref(value=setup.us_code_id), total_tax=money(aforo_tax)
    )
    return TaxedLines(out, override, None)


def _line_code(
    rate: Decimal | None,
    setup: TaxSetup,
    tax_code_ids: Mapping[str, str],
    default_tax_code_id: str | None,
) -> str:
    if setup.mode == TaxMode.US:
        return US_EXEMPT if rate is not None and rate == 0 else US_TAXABLE
    if rate is None:
        if default_tax_code_id:
            return default_tax_code_id
        raise InvalidInput(
            "the QuickBooks company charges tax per line and Aforo gave this line no tax rate",
            hint="set defaultTaxCodeId in the QuickBooks settings (PUT /api/quickbooks/settings)",
        )
    code = tax_code_ids.get(rate_key(rate))
    if code is None:
        raise InvalidInput(
            f"no QuickBooks tax code is mapped to the {rate_key(rate)} % tax rate",
            hint=(
                f'map it in the QuickBooks settings: taxCodeIds {{"{rate_key(rate)}": "<TaxCode Id>"}} '
                "(GET /api/quickbooks/settings/choices lists the company's tax codes)"
            ),
        )
    return code


def tax_mismatch(aforo_tax: Decimal | None, qbo_tax: Decimal | None) -> str | None:
    """A note for the sync log when QuickBooks' tax differs from Aforo's (None: they agree,
    or Aforo computed none)."""
    if aforo_tax is None:
        return None
    ours = money(aforo_tax)
    theirs = money(qbo_tax or Decimal(0))
    if ours == theirs:
        return None
    return (
        f"QuickBooks computed tax {theirs}, Aforo {ours}: check the tax rates mapped in the "
        "QuickBooks settings, or the customer's address and tax exemption in QuickBooks"
    )


def invoice_line_rates(invoice: AforoInvoice) -> list[Decimal | None]:
    """Aforo's rate of each sales line ``invoice_lines`` makes (the lines that are not
    discounts, in line order; the one fallback line of an invoice without lines)."""
    if not invoice.line_items:
        return [invoice.tax_rate]
    return [line.tax_rate for line in invoice.line_items if money(line.amount) >= 0]
