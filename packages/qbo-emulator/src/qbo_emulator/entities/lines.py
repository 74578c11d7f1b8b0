"""Sales-form lines: item lines (Amount = Qty * UnitPrice), discounts, descriptions, subtotal."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from qbo_emulator import faults
from qbo_emulator.entities.base import (
    check_known,
    decimal,
    money,
    named_ref,
    parse_date,
    ref_value,
    resolve,
    text,
)
from qbo_emulator.properties import (
    DISCOUNT_LINE_DETAIL_PROPERTIES,
    LINE_PROPERTIES,
    SALES_ITEM_LINE_DETAIL_PROPERTIES,
)
from qbo_emulator.realm import Realm
from qbo_emulator.wire import JsonObject

ZERO = Decimal("0")
HUNDRED = Decimal("100")
DISCOUNTS_ACCOUNT_ID = "86"


@dataclass
class SalesLines:
    lines: list[JsonObject]
    subtotal: Decimal
    discount: Decimal

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount


def _sales_item_line(realm: Realm, raw: JsonObject) -> JsonObject:
    detail = raw.get("SalesItemLineDetail") or {}
    if not isinstance(detail, dict):
        raise faults.required_param("Line.SalesItemLineDetail")
    check_known(detail, SALES_ITEM_LINE_DETAIL_PROPERTIES, "SalesItemLineDetail")
    item_id = ref_value(detail, "ItemRef")
    if item_id is None:
        raise faults.line_needs_item()
    item = resolve(realm, "Item", item_id, "Line.SalesItemLineDetail.ItemRef")
    if "Amount" not in raw:
        raise faults.required_param("Line.Amount")
    amount = decimal(raw["Amount"], "Line.Amount")
    if amount < 0:
        raise faults.negative_amount()
    stored_detail = dict(detail)
    stored_detail["ItemRef"] = named_ref(item, "Name")
    service_date = parse_date(detail, "ServiceDate")
    if service_date is None:
        stored_detail.pop("ServiceDate", None)
    else:
        stored_detail["ServiceDate"] = service_date.isoformat()
    qty = decimal(detail["Qty"], "Qty") if "Qty" in detail else None
    price = decimal(detail["UnitPrice"], "UnitPrice") if "UnitPrice" in detail else None
    # Qty 0 with UnitPrice 0 is python-quickbooks' default for "not given", and QBO takes
    # the Amount as sent; any other pair must agree with it to the cent, rounding half up
    # (QBO's 6070, quickbooks-api.md §9.3).
    unpriced = qty == 0 and price == 0
    if (
        qty is not None
        and price is not None
        and not unpriced
        and money(qty * price) != money(amount)
    ):
        raise faults.amount_mismatch(amount)
    for key, number in (("Qty", qty), ("UnitPrice", price)):
        if number is not None:
            stored_detail[key] = number
    stored_detail.setdefault("TaxCodeRef", {"value": "NON"})
    line: JsonObject = {"Amount": money(amount), "DetailType": "SalesItemLineDetail"}
    if raw.get("Description") is not None:
        line["Description"] = text(raw, "Description", maximum=4000, element="Line.Description")
    line["SalesItemLineDetail"] = stored_detail
    return line


def _discount_line(
    realm: Realm, raw: JsonObject, *, allowed: bool
) -> tuple[JsonObject, Decimal | None]:
    """The stored line and, for a percentage discount, its percent (the amount comes later)."""
    if not allowed:
        raise faults.business_validation(
            "Discounts are turned off for this company (Preferences.SalesFormsPrefs.AllowDiscount)",
            "Line.DiscountLineDetail",
        )
    detail = raw.get("DiscountLineDetail") or {}
    if not isinstance(detail, dict):
        raise faults.required_param("Line.DiscountLineDetail")
    check_known(detail, DISCOUNT_LINE_DETAIL_PROPERTIES, "DiscountLineDetail")
    account_id = ref_value(detail, "DiscountAccountRef") or DISCOUNTS_ACCOUNT_ID
    account = resolve(realm, "Account", account_id, "DiscountAccountRef")
    percent_based = detail.get("PercentBased") is True
    stored_detail: JsonObject = {
        "PercentBased": percent_based,
        "DiscountAccountRef": named_ref(account, "Name"),
    }
    line: JsonObject = {"DetailType": "DiscountLineDetail", "DiscountLineDetail": stored_detail}
    if percent_based:
        if "DiscountPercent" not in detail:
            raise _discount_missing()
        percent = decimal(detail["DiscountPercent"], "DiscountPercent")
        if percent < 0:
            raise faults.negative_amount("DiscountPercent")
        stored_detail["DiscountPercent"] = percent
        return line, percent
    if "Amount" not in raw:
        raise _discount_missing()
    amount = decimal(raw["Amount"], "Line.Amount")
    if amount < 0:
        raise faults.negative_amount()
    line["Amount"] = money(amount)
    return line, None


def _discount_missing() -> faults.QboFault:
    return faults.QboFault(
        faults.FaultError(
            "6090",
            "Discount line missing amount or percent",
            "Discount line requires either an Amount or a DiscountPercent.",
            "Line.DiscountLineDetail",
        )
    )


def normalize_sales_lines(
    realm: Realm, raw_lines: object, *, allow_discount: bool, existing_ids: set[str]
) -> SalesLines:
    if not isinstance(raw_lines, list) or not raw_lines:
        raise faults.required_param("Line")
    lines: list[JsonObject] = []
    subtotal = ZERO
    percent_lines: list[tuple[JsonObject, Decimal]] = []
    discount = ZERO
    for raw in raw_lines:
        if not isinstance(raw, dict):
            raise faults.required_param("Line")
        check_known(raw, LINE_PROPERTIES, "Line")
        detail_type = raw.get("DetailType")
        if detail_type == "SubTotalLineDetail":
            continue  # recomputed on every read, as QBO does
        if detail_type == "SalesItemLineDetail":
            line = _sales_item_line(realm, raw)
            subtotal += line["Amount"]
        elif detail_type == "DiscountLineDetail":
            line, percent = _discount_line(realm, raw, allowed=allow_discount)
            if percent is None:
                discount += line["Amount"]
            else:
                percent_lines.append((line, percent))
        elif detail_type == "DescriptionOnly":
            line = {
                "Description": text(raw, "Description", maximum=4000, element="Line.Description"),
                "DetailType": "DescriptionOnly",
                "DescriptionLineDetail": raw.get("DescriptionLineDetail") or {},
            }
        elif detail_type is None:
            raise faults.required_param("Line.DetailType")
        else:
            raise faults.invalid_enumeration("Line.DetailType", detail_type)
        raw_id = raw.get("Id")
        if isinstance(raw_id, str) and raw_id in existing_ids:
            line["Id"] = raw_id
        lines.append(line)
    for line, percent in percent_lines:
        line["Amount"] = money(subtotal * percent / HUNDRED)
        discount += line["Amount"]
    if discount > subtotal:
        raise faults.business_validation("The discount is larger than the subtotal", "Line.Amount")
    _number(lines)
    return SalesLines(lines=lines, subtotal=subtotal, discount=discount)


def _number(lines: list[JsonObject]) -> None:
    """Line Ids: a known Id is kept (QBO updates that line), others get the next free one."""
    used = {int(line["Id"]) for line in lines if "Id" in line}
    next_id = max(used, default=0) + 1
    for position, line in enumerate(lines, start=1):
        if "Id" not in line:
            line["Id"] = str(next_id)
            next_id += 1
        ordered = {"Id": line.pop("Id"), "LineNum": position, **line}
        line.clear()
        line.update(ordered)


def subtotal_line(amount: Decimal) -> JsonObject:
    return {"Amount": amount, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}


def voided_lines(lines: list[JsonObject]) -> list[JsonObject]:
    """A voided form keeps its lines with amounts (and quantities) set to zero."""
    zeroed = []
    for line in lines:
        copy = {**line}
        if "Amount" in copy:
            copy["Amount"] = ZERO
        detail = copy.get("SalesItemLineDetail")
        if isinstance(detail, dict) and "Qty" in detail:
            copy["SalesItemLineDetail"] = {**detail, "Qty": ZERO}
        zeroed.append(copy)
    return zeroed
