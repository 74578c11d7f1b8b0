"""Which QBO calls Intuit bills, why a read is made, and the meter a realm's reads go through.

Since 2025 Intuit's App Partner Program bills the Accounting API's reads ("CorePlus":
queries, reads by id, reports, PDFs, CDC) against one monthly pool for the whole app, and
leaves creates and updates free (reference: quickbooks-api.md, cost section). The
transport asks the meter before every billable request and tells it after each one that
succeeded; writes never ask, so a spent budget can never hold a write back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from typing import Protocol


class ReadPurpose(StrEnum):
    """Why a read is made, which decides what a tight budget still allows."""

    # A write cannot go on without it (adopting after a duplicate fault, a fresh SyncToken).
    WRITE = "write"
    # A person asked for it just now (an invoice PDF, a live look-up).
    PERSON = "person"
    # It can wait for next month: reconciliation sweeps, diagnose's live checks.
    OPTIONAL = "optional"


class BudgetState(StrEnum):
    OK = "ok"
    SOFT = "soft"  # optional reads are deferred
    HARD = "hard"  # only reads a write needs


# Reads inside sync code serve a write unless the caller says otherwise.
READ_PURPOSE: ContextVar[ReadPurpose] = ContextVar("qbsync_read_purpose", default=ReadPurpose.WRITE)


@contextmanager
def reads_for(purpose: ReadPurpose) -> Iterator[None]:
    """Every QBO read made inside the block is made for ``purpose``."""
    token = READ_PURPOSE.set(purpose)
    try:
        yield
    finally:
        READ_PURPOSE.reset(token)


def allows(state: BudgetState, purpose: ReadPurpose) -> bool:
    if state is BudgetState.OK or purpose is ReadPurpose.WRITE:
        return True
    return state is BudgetState.SOFT and purpose is ReadPurpose.PERSON


def billable_kind(method: str, path: str) -> str | None:
    """The kind of billable read a request is, or None for a free one (writes, batch).

    A batch is a POST whose query items are billed one by one; the client counts those.
    """
    segment = path.split("?", 1)[0]
    if method == "POST":
        return "query" if segment == "query" else None
    if segment.startswith("reports/"):
        return "report"
    if segment == "cdc":
        return "cdc"
    if segment.endswith("/pdf"):
        return "pdf"
    return "read"


class ReadMeter(Protocol):
    """One organization's view of the app's read budget (implemented by ``readbudget``)."""

    def admit(self, purpose: ReadPurpose) -> None:
        """Raise ``QuickBooksReadDeferred`` when the budget does not allow ``purpose`` now."""
        ...

    def spent(self, kind: str, count: int, purpose: ReadPurpose) -> None:
        """``count`` billable reads of ``kind`` succeeded."""
        ...


class ReadMeters(Protocol):
    def meter(self, organization_id: int | None) -> ReadMeter: ...


class Unmetered:
    """No budget and no counting (tests, tools that talk to the emulator)."""

    def admit(self, purpose: ReadPurpose) -> None:
        pass

    def spent(self, kind: str, count: int, purpose: ReadPurpose) -> None:
        pass

    def meter(self, organization_id: int | None) -> ReadMeter:  # noqa: ARG002 - protocol
        return self


UNMETERED = Unmetered()
