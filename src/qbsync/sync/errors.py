"""Errors raised by the sync package (most failures of a sync are its dependencies' errors,
from quickbooks, aforo and connections, recorded as they are).

    QbsyncError
    └── DependencyFailed             424  something this entity needs could not be synced
                                          (DEPENDENCY; as retryable as its ``cause``,
                                          for as long, as soon)
    └── InvalidInput
        └── CurrencyMismatch         422  the record's currency is not the one its QuickBooks
                                          customer is fixed to (never posted wrong)
"""

from __future__ import annotations

from qbsync.errors import ErrorCategory, InvalidInput, QbsyncError
from qbsync.sync.hints import hint_for


class DependencyFailed(QbsyncError):
    """Something this entity needs (its customer, its invoice) could not be synced."""

    code = "dependency_failed"
    status_code = 424
    category = ErrorCategory.DEPENDENCY

    def __init__(self, message: str, *, cause: QbsyncError) -> None:
        super().__init__(message, hint=hint_for(cause), retryable=cause.retryable)
        self.retry_budget = cause.retry_budget
        self.first_retry_s = cause.first_retry_s
        self.cause = cause


class CurrencyMismatch(InvalidInput):
    code = "currency_mismatch"
