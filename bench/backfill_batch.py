"""The batch-endpoint reference for ``backfill``: the same organization's records written with
qbsync's own payloads (its mappers) 30 to a request, through qbsync's QBO client and limiter,
into a fresh company of the same emulator, with no look-ups, no sync log and no mappings:
the floor qbsync's batched backfill (``backfill/batched.py``) is compared with."""

from __future__ import annotations

import asyncio
import time

from pydantic import BaseModel

from bench.client import IssuedTokens
from bench.stack import Org, Stack
from bench.verdict import check_emulator
from bench.workload import OrgData
from qbo_emulator.aforo.schemas import to_json
from qbsync.aforo.billing import AforoInvoice
from qbsync.aforo.orgs import AforoCustomer
from qbsync.config import QuickBooksSettings
from qbsync.quickbooks.batch import MAX_BATCH_ITEMS, BatchItem
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.limiter import RealmLimiters
from qbsync.quickbooks.schemas import Ref
from qbsync.quickbooks.schemas.base import WritableEntity
from qbsync.sync.mappers.customers import base_display_name, map_customer
from qbsync.sync.mappers.invoices import map_invoice

SERVICES_ITEM = Ref(value="1")  # the item every emulated company is seeded with


class BatchRun(BaseModel):
    records: int
    created: int
    item_errors: int
    seconds: float
    batch_requests: int
    throttled_429: int
    duplicates: int


def _chunks(items: list[WritableEntity]) -> list[list[WritableEntity]]:
    return [items[n : n + MAX_BATCH_ITEMS] for n in range(0, len(items), MAX_BATCH_ITEMS)]


async def _write_all(
    qbo: QuickBooksClient, entities: list[WritableEntity], prefix: str
) -> tuple[list[str | None], int]:
    """Create every entity in batches sent concurrently (the limiter paces them); returns
    the new Ids in order and how many items failed."""
    chunks = _chunks(entities)

    async def send(n: int, chunk: list[WritableEntity]) -> list[str | None]:
        items = [BatchItem.create(str(k), entity) for k, entity in enumerate(chunk)]
        results = await qbo.batch(items, request_id=f"{prefix}-{n}")
        return [r.entity.id if r.ok and r.entity is not None else None for r in results]

    answers = await asyncio.gather(*(send(n, chunk) for n, chunk in enumerate(chunks)))
    ids = [qbo_id for answer in answers for qbo_id in answer]
    return ids, sum(1 for qbo_id in ids if qbo_id is None)


async def batch_reference(
    stack: Stack, data: OrgData, *, per_minute: int, in_flight: int, terms_days: int = 30
) -> BatchRun:
    realm = await stack.emulator.create_realm(company_name="Batch reference Co")
    issued = await stack.emulator.issue_tokens(realm.realm_id)
    settings = QuickBooksSettings(
        api_base_url=f"{stack.emulator_url}/sandbox",
        max_in_flight=in_flight,
        requests_per_minute=per_minute,
    )
    qbo = QuickBooksClient(
        stack.http,
        realm_id=realm.realm_id,
        tokens=IssuedTokens(issued.access_token),
        settings=settings,
        limiter=RealmLimiters(settings).for_realm(realm.realm_id),
    )
    customers = [AforoCustomer.model_validate_json(to_json(c)) for c in data.customers]
    invoices = [AforoInvoice.model_validate_json(to_json(i)) for i in data.invoices]
    started = time.perf_counter()
    customer_ids, customer_errors = await _write_all(
        qbo,
        [map_customer(c, display_name=base_display_name(c)) for c in customers],
        "bref-c",
    )
    qbo_id_of = {
        c.customer_id: qbo_id for c, qbo_id in zip(customers, customer_ids, strict=True) if qbo_id
    }
    payloads: list[WritableEntity] = []
    for invoice in invoices:
        customer = qbo_id_of.get(invoice.customer_id)
        if customer is not None:
            payload, _ = map_invoice(
                invoice, customer_qbo_id=customer, item_ref=SERVICES_ITEM, terms_days=terms_days
            )
            payloads.append(payload)
    invoice_ids, invoice_errors = await _write_all(qbo, payloads, "bref-i")
    seconds = time.perf_counter() - started
    log = await stack.emulator.requests(realm.realm_id)
    checks = await check_emulator(
        stack,
        [OrgData(Org(data.org.organization_id, realm.realm_id), data.customers, data.invoices)],
    )
    records = len(customers) + len(invoices)
    created = sum(1 for i in customer_ids + invoice_ids if i)
    return BatchRun(
        records=records,
        created=created,
        item_errors=customer_errors + invoice_errors + len(invoices) - len(payloads),
        seconds=round(seconds, 2),
        batch_requests=sum(1 for entry in log if entry.path.endswith("/batch")),
        throttled_429=sum(1 for entry in log if entry.status == 429),
        duplicates=sum(c.duplicates for c in checks.values()),
    )
