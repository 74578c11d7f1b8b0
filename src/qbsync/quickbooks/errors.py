"""QuickBooks errors: every failed QBO call surfaces as exactly one of these.

    QbsyncError
    └── QuickBooksError                   502  a QBO failure we could not classify further
        ├── QuickBooksThrottled           503  retryable: HTTP 429 / fault 3001 (retry_after_s)
        ├── QuickBooksUnavailable         503  retryable: 5xx, fault 10000/150, network, timeout
        ├── QuickBooksAuthError           409  401/3200 (is_token_problem), 403, 3100, 100-130
        ├── QuickBooksStaleObject         409  5010: SyncToken is old; re-read, re-apply
        ├── QuickBooksDuplicateName       409  6240: name in use; look it up and link it
        ├── QuickBooksDuplicateDocNumber  409  6140: DocNumber in use; look it up
        ├── QuickBooksNotFound            422  610: the object, or one it references, is gone
        ├── QuickBooksReadDeferred        429  ours: the month's read budget keeps this read back
        ├── QuickBooksOutcomeUnknown      409  ours: a batch's answer, and its replay, left a
        │                                      create out: whether it was written is unknown
        └── QuickBooksValidationError     422  any other fault (2xxx, 4xxx, 6xxx, other 4xx)

``parse_fault`` turns any answer (JSON ``Fault`` or ``fault``, a Fault inside a 200, XML
``IntuitResponse``, HTML from a proxy) into one of them. Codes follow Intuit's error list:
https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import ClassVar, TypedDict, Unpack

from qbsync.errors import ErrorCategory, QbsyncError
from qbsync.quickbooks.faults import code_of, read_fault
from qbsync.quickbooks.schemas.fault import Fault, FaultError


class ErrorDetails(TypedDict, total=False):
    """What QBO told us about a failure; every field is optional."""

    fault_code: str | None
    detail: str | None
    element: str | None
    intuit_tid: str | None
    http_status: int | None
    fault_type: str | None
    errors: Sequence[FaultError]


class QuickBooksError(QbsyncError):
    code: ClassVar[str] = "quickbooks_error"
    status_code: ClassVar[int] = 502

    def __init__(self, message: str, **details: Unpack[ErrorDetails]) -> None:
        super().__init__(message)
        self.fault_code = details.get("fault_code")
        self.detail = details.get("detail")
        self.element = details.get("element")
        self.intuit_tid = details.get("intuit_tid")
        self.http_status = details.get("http_status")
        self.fault_type = details.get("fault_type")
        # Every error of the Fault; the attributes above describe the one that decided the class.
        self.errors = tuple(details.get("errors", ()))

    def __str__(self) -> str:
        parts = [self.message]
        if self.fault_code:
            parts.append(f"code={self.fault_code}")
        if self.element:
            parts.append(f"element={self.element}")
        if self.detail and self.detail != self.message:
            parts.append(f"detail={self.detail}")
        return " ".join(parts)


class QuickBooksThrottled(QuickBooksError):
    code = "quickbooks_throttled"
    status_code = 503
    retryable = True
    category = ErrorCategory.TRANSIENT

    def __init__(
        self, message: str, *, retry_after_s: float | None = None, **details: Unpack[ErrorDetails]
    ) -> None:
        super().__init__(message, **details)
        self.retry_after_s = retry_after_s


class QuickBooksUnavailable(QuickBooksError):
    code = "quickbooks_unavailable"
    status_code = 503
    retryable = True
    category = ErrorCategory.TRANSIENT


class QuickBooksAuthError(QuickBooksError):
    """``is_token_problem``: a fresh access token may fix it (401 / 3200). Otherwise the
    app, the environment (130 wrong cluster) or the user's rights are wrong: re-connect."""

    code = "quickbooks_auth_failed"
    status_code = 409
    category = ErrorCategory.AUTH

    def __init__(
        self, message: str, *, is_token_problem: bool = False, **details: Unpack[ErrorDetails]
    ) -> None:
        super().__init__(message, **details)
        self.is_token_problem = is_token_problem


class QuickBooksStaleObject(QuickBooksError):
    code = "quickbooks_stale_object"
    status_code = 409


class QuickBooksDuplicateName(QuickBooksError):
    code = "quickbooks_duplicate_name"
    status_code = 409


class QuickBooksDuplicateDocNumber(QuickBooksError):
    code = "quickbooks_duplicate_doc_number"
    status_code = 409


class QuickBooksNotFound(QuickBooksError):
    code = "quickbooks_not_found"
    status_code = 422
    category = ErrorCategory.DEPENDENCY


class QuickBooksReadDeferred(QuickBooksError):
    """Not sent: the app's monthly read budget is past the threshold for this purpose
    (writes and the reads they need are never held back)."""

    code = "quickbooks_read_deferred"
    status_code = 429


class QuickBooksOutcomeUnknown(QuickBooksError):
    """QBO's answer to a batch request left a create out, and the same request again (its
    replay) still does: QBO ran the item, but nothing says whether it wrote the record.
    Creating it alone could write it twice, so it is not retried: a person checks."""

    code = "quickbooks_outcome_unknown"
    status_code = 409


class QuickBooksValidationError(QuickBooksError):
    code = "quickbooks_validation_failed"
    status_code = 422


_AUTH_CODES = {"100", "110", "120", "130", "3100"}
_TOKEN_CODES = {"3200"}
_UNAVAILABLE_CODES = {"10000", "150"}
_BY_CODE: dict[str, type[QuickBooksError]] = {
    "5010": QuickBooksStaleObject,
    "6240": QuickBooksDuplicateName,
    "6140": QuickBooksDuplicateDocNumber,
    "610": QuickBooksNotFound,
}
# When a Fault lists several errors, the one that most changes what the caller does decides.
_PRECEDENCE = ["3001", "3200", *sorted(_AUTH_CODES), "5010", "6240", "6140", "610", "10000"]


def normalize_code(raw: str | None) -> str | None:
    """``"003001"`` and ``"3001"`` are the same code; keep non-numeric codes as they are."""
    if raw is None:
        return None
    stripped = raw.strip()
    if not stripped:
        return None
    return str(int(stripped)) if stripped.isascii() and stripped.isdigit() else stripped


def _code(error: FaultError) -> str | None:
    return normalize_code(error.code) or normalize_code(code_of(error.message))


def _deciding_error(fault: Fault) -> FaultError | None:
    if not fault.error:
        return None
    for wanted in _PRECEDENCE:
        for error in fault.error:
            if _code(error) == wanted:
                return error
    return fault.error[0]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def intuit_tid_of(headers: Mapping[str, str]) -> str | None:
    """Intuit's transaction id, sent as ``intuit_tid`` (recordings show ``Intuit-Tid``)."""
    return _header(headers, "intuit_tid") or _header(headers, "intuit-tid")


def retry_after_of(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds or as an HTTP date (Intuit does not document sending it)."""
    raw = _header(headers, "retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _class_for(status: int | None, code: str | None) -> type[QuickBooksError]:
    if code == "3001" or status == 429:
        return QuickBooksThrottled
    if code in _AUTH_CODES or code in _TOKEN_CODES or status in (401, 403):
        return QuickBooksAuthError
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code in _UNAVAILABLE_CODES or (status is not None and status >= 500):
        return QuickBooksUnavailable
    if status is None or 400 <= status < 500 or code is not None:
        return QuickBooksValidationError
    return QuickBooksError


def error_from_fault(
    fault: Fault | None,
    *,
    status: int | None,
    headers: Mapping[str, str] | None = None,
    reason: str | None = None,
) -> QuickBooksError:
    """Classify a Fault (or, without one, the bare HTTP status) into our tree.

    ``status`` is None for a Fault inside a batch item, where only the code speaks.
    """
    headers = headers or {}
    deciding = _deciding_error(fault) if fault is not None else None
    code = _code(deciding) if deciding is not None else None
    cls = _class_for(status, code)
    message = (deciding.message if deciding else None) or reason or "QuickBooks request failed"
    if status is not None and deciding is None:
        message = f"QuickBooks answered HTTP {status}" + (f" ({reason})" if reason else "")
    common: ErrorDetails = {
        "fault_code": code,
        "detail": deciding.detail if deciding else None,
        "element": (deciding.element or None) if deciding else None,
        "intuit_tid": intuit_tid_of(headers),
        "http_status": status,
        "fault_type": fault.type if fault else None,
        "errors": fault.error if fault else (),
    }
    if cls is QuickBooksThrottled:
        return QuickBooksThrottled(message, retry_after_s=retry_after_of(headers), **common)
    if cls is QuickBooksAuthError:
        token_problem = code in _TOKEN_CODES or (code not in _AUTH_CODES and status == 401)
        return QuickBooksAuthError(message, is_token_problem=token_problem, **common)
    return cls(message, **common)


def parse_fault(
    status: int, headers: Mapping[str, str], body_bytes: bytes
) -> QuickBooksError | None:
    """The error an answer stands for, or None for a successful answer without a Fault."""
    fault = read_fault(body_bytes)
    if fault is None and status < 300:
        return None
    return error_from_fault(fault, status=status, headers=headers)
