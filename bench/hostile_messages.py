"""The hostile half of the ``hostile`` campaign: malformed and malicious messages, each with
the outcomes it may end in, and customer names built to break queries, SQL and markup."""

from __future__ import annotations

import json
from dataclasses import dataclass

from qbsync.sync.mappers.customers import CUSTOMER_IDS
from qbsync.sync.mappers.invoices import INVOICE_IDS
from qbsync.sync.mappers.payments import PAYMENT_IDS

# Names a customer may legitimately have in Aforo; qbsync must sync every one of them as
# itself (cleaned as its mapper specifies), never as a different record, never crashing.
HOSTILE_NAMES = (
    "Robert'); DROP TABLE quickbooks_mapping;--",
    "O'Brien & Sons",
    "\\' OR 1=1 --",
    'Quote "double" Inc',
    "<script>alert(1)</script>",
    "${jndi:ldap://127.0.0.1/a}",
    "{{7*7}} %s%n %x",
    "名前 株式会社",
    "Emoji 🚀 Corp",
    "Tab\there\nnewline\r",
    "Colon: Sub Customer",
    "Zero\u200bwidth\u202eRTL",
    "A" * 300,
    "   padded   ",
    "back\\slash\\",
    "SELECT * FROM Customer WHERE DisplayName = 'x'",
)


@dataclass(frozen=True)
class Hostile:
    kind: str
    routing_key: str
    body: bytes
    allowed: frozenset[str]  # outcomes this message may end in
    content_type: str | None = "application/json"
    content_encoding: str | None = "UTF-8"
    # (organization, entity type, sync-log id) of the record a well-formed event names:
    # requests for one record coalesce while pending, so its copies (and a good event for
    # the same record) may all be served by one attempt, logged under one of their
    # correlation ids.
    record: tuple[int, str, str] | None = None


PARKED = frozenset({"parked"})
PARKED_OR_SKIPPED = frozenset({"parked", "skipped"})


def _j(value: object) -> bytes:
    return json.dumps(value).encode()


def hostile_messages(org_id: int, other_org_invoice: int, customer_id: int) -> list[Hostile]:
    """One of each; ``org_id`` is connected, ``other_org_invoice`` belongs to another
    connected organization, ``customer_id`` exists in ``org_id``."""
    c, i, p = "customer.activated", "invoice.created", "payment.received"
    return [
        Hostile("bad_json", c, b'{"customerId": 1, "organizationId": ', PARKED),
        Hostile("bad_json", c, b"not json at all", PARKED),
        Hostile("bad_json", i, b"\xff\xfe\x00garbage\x80", PARKED),
        Hostile("bad_json", c, b"", PARKED),
        Hostile("bad_json", c, b'{"customerId": NaN, "organizationId": 1}', PARKED),
        Hostile("not_object", c, b"[1, 2, 3]", PARKED),
        Hostile("not_object", i, b"null", PARKED),
        Hostile("not_object", p, b'"a string"', PARKED),
        Hostile("wrong_type", c, _j({"customerId": "abc", "organizationId": org_id}), PARKED),
        Hostile("wrong_type", c, _j({"customerId": [1], "organizationId": org_id}), PARKED),
        Hostile("wrong_type", c, _j({"customerId": 1.5, "organizationId": org_id}), PARKED),
        Hostile("wrong_type", c, _j({"customerId": True, "organizationId": org_id}), PARKED),
        Hostile("wrong_type", i, _j({"invoiceId": {"$gt": 0}, "organizationId": org_id}), PARKED),
        Hostile(
            "wrong_type", c, _j({"customerId": customer_id, "organizationId": [org_id]}), PARKED
        ),
        Hostile(
            "huge_number",
            c,
            _j({"customerId": 10**40, "organizationId": org_id}),
            PARKED_OR_SKIPPED,
        ),
        Hostile("missing_field", c, _j({}), PARKED),
        Hostile("missing_field", i, _j({"organizationId": org_id}), PARKED),
        Hostile(
            "injected_id",
            c,
            _j({"customerId": "1; DROP TABLE quickbooks_sync_log", "organizationId": org_id}),
            PARKED,
        ),
        Hostile(
            "injected_id", c, _j({"customerId": customer_id, "organizationId": "1 OR 1=1"}), PARKED
        ),
        Hostile(
            "injected_id",
            i,
            _j({"invoiceId": "../../_emulator/reset", "organizationId": org_id}),
            PARKED,
        ),
        Hostile(
            "payment_traversal",
            p,
            _j({"paymentId": "../../_emulator/reset", "organizationId": org_id}),
            PARKED_OR_SKIPPED,
            record=(org_id, "PAYMENT", PAYMENT_IDS.format("../../_emulator/reset")),
        ),
        Hostile(
            "payment_traversal",
            p,
            _j({"paymentId": "PAY-1?x=<script>#", "organizationId": org_id}),
            PARKED_OR_SKIPPED,
            record=(org_id, "PAYMENT", PAYMENT_IDS.format("PAY-1?x=<script>#")),
        ),
        Hostile(
            "long_event_id",
            c,
            _j({"customerId": customer_id, "organizationId": org_id, "eventId": "e" * 5000}),
            PARKED,
        ),
        Hostile(
            "oversized",
            c,
            _j({"customerId": customer_id, "organizationId": org_id, "pad": "x" * 300_000}),
            PARKED,
        ),
        Hostile(
            "content_type",
            c,
            _j({"customerId": customer_id, "organizationId": org_id}),
            PARKED,
            content_type="application/xml",
        ),
        Hostile(
            "content_type",
            c,
            _j({"customerId": customer_id, "organizationId": org_id}),
            PARKED,
            content_encoding="gzip",
        ),
        Hostile(
            "content_type",
            c,
            _j({"customerId": customer_id, "organizationId": org_id}),
            PARKED,
            content_type="text/plain; charset=klingon",
        ),
        Hostile(
            "unknown_org",
            c,
            _j({"customerId": customer_id, "organizationId": 987654321}),
            frozenset({"skipped"}),
            record=(987654321, "CUSTOMER", CUSTOMER_IDS.format(customer_id)),
        ),
        Hostile(
            "unknown_org",
            i,
            _j({"invoiceId": 5, "organizationId": 987654322}),
            frozenset({"skipped"}),
            record=(987654322, "INVOICE", INVOICE_IDS.format(5)),
        ),
        Hostile(
            "unknown_record",
            c,
            _j({"customerId": 424242424, "organizationId": org_id}),
            PARKED_OR_SKIPPED,
            record=(org_id, "CUSTOMER", CUSTOMER_IDS.format(424242424)),
        ),
        Hostile(
            "unknown_record",
            i,
            _j({"invoiceId": 424242425, "organizationId": org_id}),
            PARKED_OR_SKIPPED,
            record=(org_id, "INVOICE", INVOICE_IDS.format(424242425)),
        ),
        Hostile(
            "deep_nesting",
            i,
            b'{"invoiceId": 1, "organizationId": %d, "x": ' % org_id
            + b"[" * 60_000
            + b"]" * 60_000
            + b"}",
            PARKED,
        ),
        Hostile(
            "log_forging",
            p,
            _j({"paymentId": "PAY-1\n2026-01-01 ERROR forged line", "organizationId": org_id}),
            PARKED,  # refused as it arrives: no record id has a line break
        ),
        Hostile(
            "log_forging",
            c,
            _j({"customerId": customer_id, "organizationId": org_id, "eventId": "e\x1b[31m"}),
            frozenset({"synced", "skipped", "parked"}),  # an event id is no record id
            record=(org_id, "CUSTOMER", CUSTOMER_IDS.format(customer_id)),
        ),
        Hostile(
            "foreign_invoice",
            i,
            _j({"invoiceId": other_org_invoice, "organizationId": org_id}),
            PARKED_OR_SKIPPED,
            record=(org_id, "INVOICE", INVOICE_IDS.format(other_org_invoice)),
        ),
    ]
