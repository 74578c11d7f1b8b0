"""What an operator should do about a failure, by QBO fault code or qbsync error code."""

from __future__ import annotations

from qbsync.errors import QbsyncError

_BY_CODE: dict[str, str] = {
    "6240": "another customer, vendor or employee in QuickBooks already uses this name; rename one of them, then retry",
    "6140": "the DocNumber is already used in QuickBooks; check for a duplicate invoice, then retry",
    "6070": "a line's Qty x UnitPrice does not equal its Amount; report this as a qbsync bug",
    "610": "a referenced QuickBooks record is missing or inactive; reactivate it, or retry so it is synced again",
    "6000": "QuickBooks refused the transaction; read the detail, fix it in QuickBooks or Aforo, then retry",
    "6190": "the QuickBooks subscription is not active; the company owner must fix billing at Intuit",
    "6200": "the books are closed for that date in QuickBooks; reopen the period or change the closing date",
    "6210": "the books are closed for that date in QuickBooks; reopen the period or change the closing date",
    "2290": "QuickBooks refuses negative sales lines; report this as a qbsync bug",
    "3100": "the app is not authorized for this company or environment; check the Intuit keys and environment",
    "130": "sandbox and production are mixed up; check QBSYNC_QUICKBOOKS__ENVIRONMENT",
    "3200": "QuickBooks refused the access token; reconnect QuickBooks if this repeats",
    "not_connected": "connect QuickBooks for this organization, then retry",
    "needs_reauth": "reconnect QuickBooks (Intuit no longer accepts the saved authorization), then retry",
    "aforo_not_ready": "the record is not available in Aforo yet; it is retried automatically",
    "aforo_not_found": "the record does not exist in Aforo; check the id",
}


def hint_for(error: QbsyncError) -> str | None:
    code = getattr(error, "fault_code", None) or error.code
    return (
        error.hint
        or _BY_CODE.get(str(code))
        or ("temporary failure; it is retried automatically" if error.retryable else None)
    )


def error_code(error: QbsyncError) -> str:
    fault = getattr(error, "fault_code", None)
    return str(fault) if fault else error.code
