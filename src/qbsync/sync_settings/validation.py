"""Settings checked against what the company holds: every id must name an active record of
the right kind, and class/department only where the company tracks them."""

from __future__ import annotations

from collections.abc import Iterable

from qbsync.connections.schemas import ConnectionSettings
from qbsync.sync.mappers.tax import TaxMode
from qbsync.sync_settings.choices import Choice, Choices


def _check(
    problems: list[str], field: str, value: str | None, allowed: Iterable[Choice], what: str
) -> None:
    if value is not None and value not in {c.id for c in allowed}:
        problems.append(f"{field}: {value!r} is not an active {what} of this QuickBooks company")


def problems(settings: ConnectionSettings, choices: Choices) -> list[str]:
    """Each problem names the (camelCase) field and what is wrong; empty when all is well."""
    found: list[str] = []
    income, deposit = choices.income_accounts, choices.deposit_accounts
    _check(found, "incomeAccountId", settings.income_account_id, income, "income account")
    for key, value in settings.rate_plan_income_account_ids.items():
        _check(found, f"ratePlanIncomeAccountIds.{key}", value, income, "income account")
    for key, value in settings.product_income_account_ids.items():
        _check(found, f"productIncomeAccountIds.{key}", value, income, "income account")
    for key, value in settings.rate_plan_item_ids.items():
        _check(found, f"ratePlanItemIds.{key}", value, choices.items, "service item")
    _check(found, "fallbackItemId", settings.fallback_item_id, choices.items, "service item")
    _check(
        found,
        "depositAccountId",
        settings.deposit_account_id,
        deposit,
        "bank or current-asset account",
    )
    _check(
        found,
        "refundAccountId",
        settings.refund_account_id,
        deposit,
        "bank or current-asset account",
    )
    for key, value in settings.payment_method_ids.items():
        _check(found, f"paymentMethodIds.{key}", value, choices.payment_methods, "payment method")
    _check(found, "salesTermId", settings.sales_term_id, choices.terms, "term")
    tax_settings = dict(settings.tax_code_ids)
    if settings.default_tax_code_id is not None:
        tax_settings["(default)"] = settings.default_tax_code_id
    if tax_settings and choices.company.tax_mode != TaxMode.PER_LINE:
        found.append(
            "taxCodeIds/defaultTaxCodeId: this company "
            + (
                "uses US sales tax (lines are TAX or NON, Aforo's tax is sent as the total)"
                if choices.company.tax_mode == TaxMode.US
                else "does not use sales tax"
            )
            + "; leave them empty"
        )
    else:
        for key, value in settings.tax_code_ids.items():
            _check(found, f"taxCodeIds.{key}", value, choices.tax_codes, "tax code")
        _check(
            found, "defaultTaxCodeId", settings.default_tax_code_id, choices.tax_codes, "tax code"
        )
    if settings.class_id is not None and not choices.company.tracks_classes:
        found.append(
            "classId: the company does not track classes (turn on class tracking in QuickBooks first)"
        )
    else:
        _check(found, "classId", settings.class_id, choices.classes, "class")
    if settings.department_id is not None and not choices.company.tracks_departments:
        found.append(
            "departmentId: the company does not track locations (turn on location tracking in QuickBooks first)"
        )
    else:
        _check(found, "departmentId", settings.department_id, choices.departments, "location")
    return found
