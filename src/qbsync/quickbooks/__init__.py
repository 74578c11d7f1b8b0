"""The QuickBooks Online adapter: client, wire schemas, errors, query building, limits.

It knows QBO and nothing about Aforo; callers map their data to ``schemas`` first.
"""

from qbsync.quickbooks.batch import BatchItem, BatchResult
from qbsync.quickbooks.client import QuickBooksClient, TokenProvider
from qbsync.quickbooks.errors import (
    QuickBooksAuthError,
    QuickBooksDuplicateDocNumber,
    QuickBooksDuplicateName,
    QuickBooksError,
    QuickBooksNotFound,
    QuickBooksStaleObject,
    QuickBooksThrottled,
    QuickBooksUnavailable,
    QuickBooksValidationError,
    parse_fault,
)
from qbsync.quickbooks.limiter import RealmLimiter, RealmLimiters
from qbsync.quickbooks.query import Q, Query, escape_query_value

__all__ = [
    "BatchItem",
    "BatchResult",
    "Q",
    "Query",
    "QuickBooksAuthError",
    "QuickBooksClient",
    "QuickBooksDuplicateDocNumber",
    "QuickBooksDuplicateName",
    "QuickBooksError",
    "QuickBooksNotFound",
    "QuickBooksStaleObject",
    "QuickBooksThrottled",
    "QuickBooksUnavailable",
    "QuickBooksValidationError",
    "RealmLimiter",
    "RealmLimiters",
    "TokenProvider",
    "escape_query_value",
    "parse_fault",
]
