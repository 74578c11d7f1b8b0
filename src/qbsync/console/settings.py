"""Sync settings: the accounts, items, payment methods, terms, tax codes, class and location
qbsync writes with, chosen from the company's own lists (GET /settings/choices), saved with
PUT /settings (which checks every id against the company), and the log of who changed what."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from qbsync.console.client import Answer, ApiError
from qbsync.console.pages import org_page_url, render_page
from qbsync.console.session import Console, ConsoleDep, FormDep

router = APIRouter()

# Empty rows offered under each mapping for new entries.
NEW_ROWS = 2
# The company's lists cost QuickBooks ten billable reads and a second or so: kept this long
# per organization ("read them again" on the page, and a refused save, read them anew).
CHOICES_KEPT_S = 120.0


@dataclass(frozen=True)
class Pick:
    """One setting chosen from a company list (``choices``: the key in /settings/choices)."""

    key: str
    label: str
    choices: str
    empty: str
    help: str = ""
    needs: str | None = None  # a company fact that must be true for the field to apply


@dataclass(frozen=True)
class Mapping:
    """Aforo value → a company record, one row each."""

    key: str
    label: str
    from_label: str
    choices: str
    help: str = ""


@dataclass(frozen=True)
class Policy:
    key: str
    label: str
    options: tuple[tuple[str, str], ...]


PICKS = (
    Pick(
        "incomeAccountId",
        "Income account of new items",
        "incomeAccounts",
        "Automatic: the first active Income account (Service Fee Income preferred)",
    ),
    Pick(
        "fallbackItemId",
        "Item for lines without a rate plan",
        "items",
        "Create the item named below",
    ),
    Pick(
        "depositAccountId",
        "Deposit payments to",
        "depositAccounts",
        "Undeposited Funds (QuickBooks' default)",
    ),
    Pick(
        "refundAccountId",
        "Pay refunds from",
        "depositAccounts",
        "The deposit account, else the first Bank account",
    ),
    Pick("salesTermId", "Payment terms", "terms", "Net days, as below"),
    Pick(
        "defaultTaxCodeId",
        "Tax code of lines Aforo gave no rate",
        "taxCodes",
        "None",
        help="Companies outside the US: every line names a tax code.",
    ),
    Pick("classId", "Class", "classes", "None", needs="tracksClasses"),
    Pick("departmentId", "Location", "departments", "None", needs="tracksDepartments"),
)
MAPPINGS = (
    Mapping(
        "ratePlanIncomeAccountIds",
        "Income account per rate plan",
        "Aforo rate plan id",
        "incomeAccounts",
    ),
    Mapping(
        "productIncomeAccountIds",
        "Income account per product",
        "Aforo product id",
        "incomeAccounts",
    ),
    Mapping(
        "ratePlanItemIds",
        "Existing item per rate plan",
        "Aforo rate plan id",
        "items",
        help="Instead of the item qbsync creates for the rate plan.",
    ),
    Mapping(
        "paymentMethodIds",
        "Payment method per Aforo method",
        "Aforo payment method",
        "paymentMethods",
        help="Matched without regard to case (card, ACH, wire…).",
    ),
    Mapping(
        "taxCodeIds",
        "Tax code per tax rate",
        "Aforo tax rate (%)",
        "taxCodes",
        help="Companies outside the US: Aforo's rate in percent, e.g. 20 or 8.5.",
    ),
)
POLICIES = (
    Policy(
        "draftInvoices",
        "Draft invoices",
        (("wait", "Wait until they are issued"), ("sync", "Post them as they are")),
    ),
    Policy(
        "applyCredits",
        "Credits on open invoices",
        (
            ("company", "As the company's automatic-apply preference says"),
            ("always", "Always apply"),
            ("never", "Never: leave them as open credit"),
        ),
    ),
    Policy(
        "onDeletedInQuickbooks",
        "A synced record deleted in QuickBooks",
        (("recreate", "Create it again (logged)"), ("flag", "Only flag it")),
    ),
    Policy(
        "onEditedInQuickbooks",
        "A synced record edited in QuickBooks",
        (("flag", "Flag the drift"), ("repush", "Write Aforo's version over it")),
    ),
)
TEXTS = (("fallbackItemName", "Name of that item"),)
NUMBERS = (("paymentTermsDays", "Net days after the invoice date", 0, 999),)


def choice_label(choice: dict[str, Any]) -> str:
    label = str(choice.get("name") or choice["id"])
    if choice.get("rate") is not None:
        label += f" ({choice['rate']} %)"
    elif choice.get("type"):
        label += f" ({choice['type']})"
    return label


def options(choices: list[dict[str, Any]], current: str | None) -> list[tuple[str, str]]:
    """The company's records as (id, label); a saved id the company no longer lists stays
    visible, so that saving the form never drops it unseen."""
    found = [(str(c["id"]), choice_label(c)) for c in choices]
    if current and current not in {value for value, _ in found}:
        found.append((current, f"{current} (not active in QuickBooks)"))
    return found


def settings_from_form(form: dict[str, str], saved: dict[str, Any]) -> dict[str, Any]:
    """The whole document for PUT (it replaces the settings): the form's fields over the saved
    ones, so a field this page does not show is kept."""
    body = dict(saved)
    for pick in PICKS:
        if pick.key in form:
            body[pick.key] = form[pick.key] or None
    for key, _ in TEXTS:
        if key in form:
            body[key] = form[key].strip()
    for key, _, _, _ in NUMBERS:
        value = form.get(key, "").strip()
        if value:
            body[key] = int(value) if value.isascii() and value.isdigit() else value
    for policy in POLICIES:
        if form.get(policy.key):
            body[policy.key] = form[policy.key]
    for mapping in MAPPINGS:
        rows: dict[str, str] = {}
        index = 0
        while f"{mapping.key}.k.{index}" in form:
            key = form[f"{mapping.key}.k.{index}"].strip()
            value = form.get(f"{mapping.key}.v.{index}", "")
            if key and value:
                rows[key] = value
            index += 1
        body[mapping.key] = rows
    return body


# Problems are joined with "; ", and one may contain "; " itself: split before a field name.
_PROBLEMS = re.compile(r"; (?=[A-Za-z][\w.\[\]'/]*: )")


def describe(field: str, value: Any, choices: dict[str, Any] | None) -> str:
    """A logged value as a person reads it: the company's names rather than its ids."""
    lists = {p.key: p.choices for p in PICKS} | {m.key: m.choices for m in MAPPINGS}
    names = {str(c["id"]): choice_label(c) for c in (choices or {}).get(lists.get(field, ""), [])}
    if value in (None, "", {}):
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k} → {names.get(str(v), v)}" for k, v in value.items())
    return str(names.get(str(value), value))


def field_errors(message: str) -> dict[str, list[str]]:
    """The API names each field that does not fit (``field: why; field: why``)."""
    errors: dict[str, list[str]] = {}
    for part in _PROBLEMS.split(message):
        fields, sep, why = part.partition(": ")
        if not sep:
            errors.setdefault("", []).append(part)
            continue
        for field in fields.split("/"):  # "taxCodeIds/defaultTaxCodeId: ..." names both
            errors.setdefault(field.split(".")[0].split("[")[0], []).append(why)
    return errors


def _choices_cache(request: Request) -> dict[int, tuple[float, Answer]]:
    """Per process: organization → (when read, the company's lists)."""
    state = request.app.state
    if not hasattr(state, "console_choices"):
        state.console_choices = {}
    cache: dict[int, tuple[float, Answer]] = state.console_choices
    return cache


async def _page(
    request: Request,
    ctx: Console,
    org: int,
    *,
    values: dict[str, Any] | None = None,
    error: ApiError | None = None,
    saved: list[str] | None = None,
) -> Response:
    """The page; its form (which needs the company's lists from QuickBooks) inline after a
    refusal or when asked (``?inline=1``), else as a region the page loads once painted."""
    region = request.headers.get("hx-target") == "settings-form"
    form = region or error is not None or request.query_params.get("inline") == "1"
    cache = _choices_cache(request)
    held = cache.get(org)
    fresh = request.query_params.get("fresh") == "1" or error is not None
    if held is not None and (fresh or time.monotonic() - held[0] > CHOICES_KEPT_S):
        held = None
    reads = [ctx.api.call("GET", "/settings", org=org)]
    if form:
        reads.append(ctx.api.call("GET", "/settings/changes", org=org, params={"limit": 10}))
        if held is None:
            reads.append(ctx.api.call("GET", "/settings/choices", org=org))
    current, *more = await asyncio.gather(*reads)
    if current.status == 404:  # not connected: nothing to map onto yet
        return render_page(
            request, ctx, org, "settings", "settings.html", connected=False, current=None
        )
    if not current.ok:
        raise ApiError(current.status, current.body)
    view: dict[str, Any] = {"connected": True, "current": current.body, "saved": saved}
    view |= {"error": error, "errors": field_errors(error.message) if error else {}}
    # The API points at its choices route; here the lists are the page's own options.
    view["hint"] = (
        "Every list on this page is the company's own, read just now."
        if error and error.hint and "/settings/choices" in error.hint
        else (error.hint if error else None)
    )
    if more:
        # Only now, with /settings answered for this person, may held choices be shown.
        changes, choices = more[0], held[1] if held is not None else more[1]
        if held is None and choices.ok:
            cache[org] = (time.monotonic(), choices)
        view |= {
            "values": values if values is not None else current.body["settings"],
            "choices": choices.body if choices.ok else None,
            "choices_error": None if choices.ok else ApiError(choices.status, choices.body),
            "changes": changes.body.get("items", []) if changes.ok else [],
            "picks": PICKS,
            "mappings": MAPPINGS,
            "policies": POLICIES,
            "texts": TEXTS,
            "numbers": NUMBERS,
            "new_rows": NEW_ROWS,
            "options": options,
            "describe": describe,
        }
    return render_page(
        request,
        ctx,
        org,
        "settings",
        "settings.html",
        regions={"settings-form": "settings_form.html"},
        status_code=error.status if error else 200,
        **view,
    )


@router.get("/orgs/{org}/settings")
async def show_settings(request: Request, org: int, ctx: ConsoleDep) -> Response:
    changed = request.query_params.get("saved")
    return await _page(request, ctx, org, saved=changed.split(",") if changed is not None else None)


@router.post("/orgs/{org}/settings")
async def save_settings(request: Request, org: int, ctx: ConsoleDep, form: FormDep) -> Response:
    saved = (await ctx.api.get("/settings", org=org))["settings"]
    body = settings_from_form(form, saved)
    answer = await ctx.api.call("PUT", "/settings", org=org, json=body)
    if answer.status in (400, 422):  # the company refused a choice: the form shows why
        return await _page(
            request, ctx, org, values=body, error=ApiError(answer.status, answer.body)
        )
    if not answer.ok:
        raise ApiError(answer.status, answer.body)
    changed = ",".join(answer.body.get("changed") or [])
    return RedirectResponse(org_page_url(org, "settings") + f"?saved={changed}", 303)
