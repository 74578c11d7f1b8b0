"""What the sync log tells an operator to do: by QBO fault code first, then qbsync code."""

from __future__ import annotations

import pytest

from qbsync.aforo.errors import AforoNotReady
from qbsync.connections.errors import NeedsReauth, NotConnected
from qbsync.errors import DependencyUnavailable, QbsyncError
from qbsync.quickbooks.errors import (
    QuickBooksAuthError,
    QuickBooksDuplicateName,
    QuickBooksValidationError,
)
from qbsync.sync.hints import error_code, hint_for

CASES: dict[str, tuple[QbsyncError, str, str | None]] = {
    "fault code decides": (
        QuickBooksDuplicateName("dup", fault_code="6240"),
        "6240",
        "already uses this name",
    ),
    "closed books": (
        QuickBooksValidationError("closed", fault_code="6210"),
        "6210",
        "the books are closed",
    ),
    "wrong environment": (
        QuickBooksAuthError("wrong cluster", fault_code="130"),
        "130",
        "QBSYNC_QUICKBOOKS__ENVIRONMENT",
    ),
    "unknown fault, not retryable: no hint": (
        QuickBooksValidationError("odd", fault_code="9999"),
        "9999",
        None,
    ),
    "a fault without a code falls back to the error code": (
        QuickBooksValidationError("odd"),
        "quickbooks_validation_failed",
        None,
    ),
    "qbsync code": (NotConnected("no"), "not_connected", "connect QuickBooks"),
    "reauth": (NeedsReauth("no"), "needs_reauth", "reconnect QuickBooks"),
    "aforo not ready": (
        AforoNotReady("later", service="metering"),
        "aforo_not_ready",
        "retried automatically",
    ),
    "any retryable error": (
        DependencyUnavailable("down"),
        "dependency_unavailable",
        "temporary failure",
    ),
    "the error's own hint wins": (
        NotConnected("no", hint="ask the owner to connect"),
        "not_connected",
        "ask the owner to connect",
    ),
}


@pytest.mark.parametrize(("error", "code", "hint"), list(CASES.values()), ids=list(CASES))
def test_code_and_hint(error: QbsyncError, code: str, hint: str | None) -> None:
    assert error_code(error) == code
    found = hint_for(error)
    if hint is None:
        assert found is None
    else:
        assert found is not None
        assert hint in found
