"""Adopting QuickBooks records that existed before qbsync wrote them, without a read per
record: create first and adopt on a duplicate fault, or look the record up in a bulk index.

A sync writes first with its deterministic ``requestid``; QuickBooks answers 6240 (a name in
use) or 6140 (a DocNumber in use, when the company forbids duplicates) for a record that is
already there, and only then is it read. Where records may pre-date qbsync (a backfill of
history, a company the earlier service wrote to), the caller builds an ``AdoptionIndex`` for
a whole page of records with ``IN (...)`` queries of up to 1,000 values each and sets it for
the syncs of that page: a record found in it is adopted without a create, one missing from
it is created without a look-up. docs/quickbooks-cost.md says what each path covers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.query import Q
from qbsync.quickbooks.schemas.invoice import Invoice
from qbsync.quickbooks.schemas.names import Customer

# QBO caps a query page at 1,000 rows; one IN list per page keeps each query one read.
VALUES_PER_QUERY = 1000


@dataclass
class AdoptionIndex:
    """What one realm already holds under the names and numbers a page of syncs will use."""

    realm_id: str
    # Every name and DocNumber looked up, found or not: a miss means "create, do not look".
    names: set[str] = field(default_factory=set)
    doc_numbers: set[str] = field(default_factory=set)
    customers: dict[str, Customer] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    reads: int = 0

    def covers_name(self, name: str) -> bool:
        return name in self.names

    def covers_doc_number(self, doc_number: str) -> bool:
        return doc_number in self.doc_numbers


_INDEX: ContextVar[AdoptionIndex | None] = ContextVar("qbsync_adoption_index", default=None)


def current_index(realm_id: str) -> AdoptionIndex | None:
    index = _INDEX.get()
    return index if index is not None and index.realm_id == realm_id else None


@contextmanager
def adopting_from(index: AdoptionIndex) -> Iterator[None]:
    """Syncs inside the block consult ``index`` instead of QuickBooks."""
    token = _INDEX.set(index)
    try:
        yield
    finally:
        _INDEX.reset(token)


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), VALUES_PER_QUERY):
        yield ordered[start : start + VALUES_PER_QUERY]


async def build_index(
    qbo: QuickBooksClient, *, names: Iterable[str] = (), doc_numbers: Iterable[str] = ()
) -> AdoptionIndex:
    """One query per 1,000 names or DocNumbers (inactive customers too: they keep their
    names). Each IN list stays one page, so each costs exactly one billable read."""
    index = AdoptionIndex(qbo.realm_id)
    for chunk in _chunks(names):
        index.names.update(chunk)
        where = Q.in_("DisplayName", chunk) & Q.in_("Active", [True, False])
        for customer in await qbo.query(Customer, where):
            if customer.display_name is not None:
                index.customers.setdefault(customer.display_name, customer)
        index.reads += 1
    for chunk in _chunks(doc_numbers):
        index.doc_numbers.update(chunk)
        for invoice in await qbo.query(Invoice, Q.in_("DocNumber", chunk)):
            if invoice.doc_number is not None:
                index.invoices.setdefault(invoice.doc_number, invoice)
        index.reads += 1
    return index
