"""Errors of the database helpers.

QbsyncError
└── DependencyUnavailable        503  retryable
    └── RecordBusy               503  a record's lock stayed with another sync longer than a
                                      sync sharing its group's transaction waits, or members
                                      of one group would wait on each other (db/shared.py);
                                      that record's attempt is logged and tried again later
"""

from __future__ import annotations

from qbsync.errors import DependencyUnavailable


class RecordBusy(DependencyUnavailable):
    code = "record_busy"
    # The holder is a sync under way (its wait for QuickBooks' rate included): it is usually
    # done well within a second of the waiter giving up.
    first_retry_s = 0.5
