"""A backfill written through the batch endpoint: records already in QuickBooks adopted from
one bulk look-up per page, the rest created 30 to a request, each record once, each with its
own sync-log row; run again, it writes nothing twice."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update

from qbo_emulator import batch as emulator_batch
from qbo_emulator import faults as emulator_faults
from qbsync.backfill import batched, service
from qbsync.backfill.listing import Listed, unit_of_work
from qbsync.backfill.models import BackfillJob, BackfillStatus
from qbsync.quickbooks.schemas import EmailAddress
from qbsync.quickbooks.schemas.names import Customer
from qbsync.sync.engine import sync
from qbsync.sync.mappers.customers import CUSTOMER_IDS
from qbsync.sync.models import SyncLog

CUSTOMERS = 40
INVOICES = 70


async def test_batched_backfill_adopts_creates_and_resumes(
    resources, org, aforo, emulator_control, sessionmaker
) -> None:
    customers = await asyncio.gather(
        *(aforo.customer(customer_name=f"Batched Customer {n:03d}") for n in range(CUSTOMERS))
    )
    await asyncio.gather(*(aforo.invoice(customers[n % CUSTOMERS]) for n in range(INVOICES)))
    qbo = resources.quickbooks.client(organization_id=org.organization_id, realm_id=org.realm_id)
    # Entered by hand before qbsync: adopted (same e-mail), not duplicated.
    existing = await qbo.create(
        Customer(
            display_name="Batched Customer 007",
            primary_email_addr=EmailAddress(address="billing@acme.example"),
        ),
        request_id="by-hand-007",
    )
    async with sessionmaker.begin() as session:
        job = await service.create_job(
            session,
            resources.aforo,
            organization_id=org.organization_id,
            entities=service.parse_entities(["customers", "invoices"]),
            date_from=None,
            date_to=None,
            caller_token=None,
        )
    start = len(await emulator_control.requests(org.realm_id))
    await batched.write(resources, job.id)

    held_customers = await emulator_control.live(org.realm_id, "Customer")
    held_invoices = await emulator_control.live(org.realm_id, "Invoice")
    assert len(held_customers) == CUSTOMERS
    assert existing.id in {r.id for r in held_customers}
    assert len(held_invoices) == INVOICES
    assert len({r.body["DocNumber"] for r in held_invoices}) == INVOICES
    log = (await emulator_control.requests(org.realm_id))[start:]
    paths = [entry.path.rsplit("/", 1)[-1] for entry in log]
    batches = paths.count("batch")
    # 39 customers in 2 batches, 70 invoices in 3 (plus the item, which rides along).
    sizes = [e.body.count('"bId"') for e in log if e.path.endswith("/batch")]
    assert 5 <= batches <= 9, (sizes, paths)
    queries = paths.count("query")
    # One bulk look-up per page and kind, and the item's income account: none per record.
    assert queries <= 3, paths
    assert paths.count("customer") == 1, "the adopting update of the hand-entered customer"
    async with sessionmaker() as session:
        rows = list(
            await session.scalars(
                select(SyncLog).where(
                    SyncLog.correlation_id.like(service.correlation_prefix(job.id) + "%")
                )
            )
        )
        saved = await session.get(BackfillJob, job.id)
    assert saved is not None
    assert saved.published == saved.total
    assert saved.status == BackfillStatus.RUNNING
    assert {row.status for row in rows} == {"SUCCESS"}
    assert len({row.aforo_id for row in rows if row.entity_type != "ITEM"}) == CUSTOMERS + INVOICES

    # Run again from the start (as after a crash before progress was saved): nothing new.
    async with sessionmaker.begin() as session:
        await session.execute(
            update(BackfillJob)
            .where(BackfillJob.id == job.id)
            .values(published=0, status=BackfillStatus.PUBLISHING)
        )
    before = len(await emulator_control.requests(org.realm_id))
    await batched.write(resources, job.id)
    again = [
        e.path.rsplit("/", 1)[-1] for e in (await emulator_control.requests(org.realm_id))[before:]
    ]
    assert "batch" not in again
    assert len(await emulator_control.live(org.realm_id, "Customer")) == CUSTOMERS
    assert len(await emulator_control.live(org.realm_id, "Invoice")) == INVOICES


async def test_a_batch_that_keeps_failing_is_retried_and_nothing_is_lost(
    resources, org, aforo, emulator_control, sessionmaker
) -> None:
    customers = await asyncio.gather(
        *(aforo.customer(customer_name=f"Flaky Customer {n:02d}") for n in range(12))
    )
    # Every attempt the client makes at the first batch fails: the page retries its records.
    attempts = resources.settings.quickbooks.max_attempts
    await emulator_control.queue_fault(
        "http_503", realm_id=org.realm_id, path_contains="/batch", count=attempts
    )
    job_id = await _customers_job(resources, org, sessionmaker)
    await batched.write(resources, job_id)

    held = await emulator_control.live(org.realm_id, "Customer")
    assert sorted(r.body["DisplayName"] for r in held) == sorted(c.customer_name for c in customers)
    async with sessionmaker() as session:
        progress = await service.progress(session, job_id)
        statuses = list(
            await session.scalars(
                select(SyncLog.status).where(
                    SyncLog.correlation_id.like(service.correlation_prefix(job_id) + "%")
                )
            )
        )
    assert (progress.done, progress.failed, progress.retrying) == (12, 0, 0)
    assert statuses.count("RETRYING") == 12, "the failed attempt is on record"


async def _job(resources, org, sessionmaker, *entities: str) -> int:
    async with sessionmaker.begin() as session:
        job = await service.create_job(
            session,
            resources.aforo,
            organization_id=org.organization_id,
            entities=service.parse_entities(list(entities)),
            date_from=None,
            date_to=None,
            caller_token=None,
        )
    return job.id


async def _customers_job(resources, org, sessionmaker) -> int:
    return await _job(resources, org, sessionmaker, "customers")


async def _invoices_job(resources, org, sessionmaker) -> int:
    return await _job(resources, org, sessionmaker, "invoices")


async def _log_rows(sessionmaker, job_id: int) -> list[SyncLog]:
    async with sessionmaker() as session:
        query = select(SyncLog).where(
            SyncLog.correlation_id.like(service.correlation_prefix(job_id) + "%")
        )
        return list(await session.scalars(query.order_by(SyncLog.id)))


async def test_a_backfill_stopped_mid_way_resumes_past_its_saved_pages_without_duplicates(
    resources, org, aforo, emulator_control, sessionmaker, monkeypatch
) -> None:
    customers = await asyncio.gather(
        *(aforo.customer(customer_name=f"Resumed Customer {n:03d}") for n in range(90))
    )
    monkeypatch.setattr(batched, "PAGE", 30)
    job_id = await _customers_job(resources, org, sessionmaker)
    advance = batched._advance
    running: asyncio.Task[None] | None = None

    async def advance_then_stop(resources, job_id: int, end: int) -> None:
        if end <= 30:
            await advance(resources, job_id, end)
            return
        assert running is not None
        running.cancel()  # the process stops before it saves the second page
        await asyncio.Event().wait()

    monkeypatch.setattr(batched, "_advance", advance_then_stop)
    running = asyncio.create_task(batched.write(resources, job_id))
    with pytest.raises(asyncio.CancelledError):
        await running
    async with sessionmaker() as session:
        stopped = await session.get(BackfillJob, job_id)
    assert stopped is not None
    assert (stopped.published, stopped.status) == (30, BackfillStatus.PUBLISHING)
    before = await _log_rows(sessionmaker, job_id)
    # Every record of the saved page is written, each once.
    first_page = {CUSTOMER_IDS.format(t["id"]) for t in stopped.targets[:30]}
    assert first_page <= {row.aforo_id for row in before if row.status == "SUCCESS"}

    monkeypatch.setattr(batched, "_advance", advance)
    sent = len(await emulator_control.requests(org.realm_id))
    await batched.write(resources, job_id)

    held = await emulator_control.live(org.realm_id, "Customer")
    assert sorted(r.body["DisplayName"] for r in held) == sorted(c.customer_name for c in customers)
    after = (await _log_rows(sessionmaker, job_id))[len(before) :]
    assert not first_page & {row.aforo_id for row in after}, "the saved page is not redone"
    resumed = list((await emulator_control.requests(org.realm_id))[sent:])
    items = sum(e.body.count('"bId"') for e in resumed if e.path.endswith("/batch"))
    assert items <= 60, "only the unsaved pages' records not written before are sent again"
    async with sessionmaker() as session:
        done = await session.get(BackfillJob, job_id)
        progress = await service.progress(session, job_id)
    assert done is not None
    assert done.published == done.total == 90
    # Records of the unsaved pages written before the stop are found mapped: SKIPPED, unchanged.
    assert (progress.done + progress.skipped, progress.failed, progress.retrying) == (90, 0, 0)


async def test_an_item_quickbooks_refused_for_a_passing_reason_is_retried_alone(
    resources, org, aforo, emulator_control, sessionmaker, monkeypatch
) -> None:
    customers = await asyncio.gather(
        *(aforo.customer(customer_name=f"Itemised Customer {n:02d}") for n in range(45))
    )
    flaky = customers[7].customer_name
    refused: list[str] = []
    run_item = emulator_batch._run_item

    def refuse_once(realm, item, *, include):
        name = item.get("Customer", {}).get("DisplayName")
        if name == flaky and not refused:
            refused.append(name)
            raise emulator_faults.system_failure()  # fault 10000 in the item, the batch a 200
        return run_item(realm, item, include=include)

    monkeypatch.setattr(emulator_batch, "_run_item", refuse_once)
    job_id = await _customers_job(resources, org, sessionmaker)
    await batched.write(resources, job_id)

    assert refused == [flaky]
    held = await emulator_control.live(org.realm_id, "Customer")
    assert sorted(r.body["DisplayName"] for r in held) == sorted(c.customer_name for c in customers)
    rows = await _log_rows(sessionmaker, job_id)
    flaky_id = CUSTOMER_IDS.format(customers[7].customer_id)
    assert [row.status for row in rows if row.aforo_id == flaky_id] == ["RETRYING", "SUCCESS"]
    others = [row.status for row in rows if row.aforo_id != flaky_id]
    assert others == ["SUCCESS"] * 44, "the rest of its batch is written once"


async def test_a_record_is_written_from_the_listing_only_while_quickbooks_has_none_of_it(
    resources, org, aforo, stubs, sessionmaker
) -> None:
    renamed = await aforo.customer(customer_name="Renamed After The Listing")
    new = await aforo.customer(customer_name="Listed Only")
    listed = await Listed.read(resources.sync_deps, org.organization_id)
    # The listing is older than a rename that an event has synced meanwhile.
    stale = listed.customers[str(renamed.customer_id)]
    listed.customers[str(renamed.customer_id)] = stale.model_copy(
        update={"customer_name": "Old Name"}
    )
    async with sessionmaker.begin() as session:
        await sync(
            session,
            resources.sync_deps,
            organization_id=org.organization_id,
            kind="customer",
            aforo_id=renamed.customer_id,
        )
    deps = listed.serving(resources.sync_deps)
    await stubs.clear_requests()

    async with sessionmaker.begin() as session:
        with unit_of_work(session, org.organization_id, org.realm_id):
            mapped = await deps.aforo.orgs.get_customer(
                renamed.customer_id, org_id=org.organization_id
            )
            unmapped = await deps.aforo.orgs.get_customer(
                new.customer_id, org_id=org.organization_id
            )

    assert mapped.customer_name == "Renamed After The Listing", "read fresh: it is mapped"
    assert unmapped is listed.customers[str(new.customer_id)], "created from the listing"
    assert len(await stubs.requests("org")) == 1


async def test_a_batch_whose_answers_were_lost_is_replayed_on_retry_not_written_again(
    resources, org, aforo, emulator_control, sessionmaker, monkeypatch
) -> None:
    customer = await aforo.customer(customer_name="Replayed Invoices Ltd")
    invoices = [await aforo.invoice(customer) for _ in range(5)]
    # Groups of three, one at a time: the first batch holds three of the four pooled
    # invoices (the first is its plan's leader, written alone), the fourth goes in a batch of
    # its own, and the first three are tried again after it: a batch composed anew for them
    # would carry a new requestid.
    monkeypatch.setattr(batched, "GROUPS", 1)
    monkeypatch.setattr(batched, "GROUP_SIZE", 3)
    monkeypatch.setattr(batched, "RETRY_AFTER_S", 0.0)
    # A company that allows duplicate numbers, QuickBooks' default: no 6140 gives a second
    # write of an invoice away.
    run_item = emulator_batch._run_item

    def allowing_duplicates(realm, item, *, include):
        return run_item(realm, item, include=include | {"allowduplicatedocnum"})

    monkeypatch.setattr(emulator_batch, "_run_item", allowing_duplicates)
    # QuickBooks writes the first batch; every answer the client waits for is lost.
    await emulator_control.queue_fault(
        "lost_response",
        realm_id=org.realm_id,
        path_contains="/batch",
        count=resources.settings.quickbooks.max_attempts,
    )
    job_id = await _invoices_job(resources, org, sessionmaker)
    await batched.write(resources, job_id)

    held = await emulator_control.live(org.realm_id, "Invoice")
    assert sorted(r.body["DocNumber"] for r in held) == sorted(i.invoice_number for i in invoices)
    rows = await _log_rows(sessionmaker, job_id)
    statuses = [row.status for row in rows if row.entity_type == "INVOICE"]
    assert statuses.count("RETRYING") == 3, "the lost batch's records are tried again"
    assert statuses.count("SUCCESS") == 5


async def test_an_invoice_voided_after_the_listing_is_not_created_from_it(
    resources, org, aforo, stubs, emulator_control, sessionmaker, monkeypatch
) -> None:
    customer = await aforo.customer(customer_name="Voided Meanwhile Ltd")
    kept, voided = [await aforo.invoice(customer) for _ in range(2)]
    job_id = await _invoices_job(resources, org, sessionmaker)
    read = Listed.read

    async def voided_after_the_listing(deps, organization_id: int, **kinds) -> Listed:
        listed = await read(deps, organization_id, **kinds)
        # Voided in Aforo once the listing was read; its event finds nothing to void yet.
        await stubs.put_invoice(voided.model_copy(update={"status": "VOID"}))
        async with sessionmaker.begin() as session:
            event = await sync(
                session, deps, organization_id=organization_id, kind="invoice", aforo_id=voided.id
            )
        assert (event.status, event.action) == ("SKIPPED", "SKIP")
        return listed

    monkeypatch.setattr(Listed, "read", voided_after_the_listing)
    await batched.write(resources, job_id)

    held = await emulator_control.live(org.realm_id, "Invoice")
    assert [r.body["DocNumber"] for r in held] == [kept.invoice_number]
    rows = await _log_rows(sessionmaker, job_id)
    assert [(r.status, r.action) for r in rows if r.aforo_id == f"invoice-{voided.id}"] == [
        ("SKIPPED", "SKIP")
    ], "read fresh: VOID, and never synced"


async def _listings(stubs, org) -> list[str]:
    """The organization's Aforo listings asked for since the stubs' log was cleared."""
    asked = [*await stubs.requests("org"), *await stubs.requests("metering")]
    return sorted(
        r.path
        for r in asked
        if r.tenant == org.organization_id and r.path in ("/v1/api/customers", "/api/invoices")
    )


class TestListings:
    async def test_a_job_of_one_kind_reads_its_own_listing(
        self, resources, org, aforo, stubs, sessionmaker
    ) -> None:
        await asyncio.gather(*(aforo.customer(customer_name=f"One Kind {n}") for n in range(3)))
        job_id = await _customers_job(resources, org, sessionmaker)
        await stubs.clear_requests()

        await batched.write(resources, job_id)

        assert await _listings(stubs, org) == ["/v1/api/customers"]
        assert [row.status for row in await _log_rows(sessionmaker, job_id)] == ["SUCCESS"] * 3

    async def test_a_job_resumed_past_its_customers_reads_the_invoices_only(
        self, resources, org, aforo, stubs, emulator_control, sessionmaker
    ) -> None:
        customers = [await aforo.customer(customer_name=f"Resumed {n}") for n in range(2)]
        invoices = [await aforo.invoice(customers[n % 2]) for n in range(3)]
        job_id = await _customers_job(resources, org, sessionmaker)
        both = await _job(resources, org, sessionmaker, "customers", "invoices")
        await batched.write(resources, job_id)
        # The two-kind job stopped once its customers were saved.
        async with sessionmaker.begin() as session:
            await session.execute(
                update(BackfillJob).where(BackfillJob.id == both).values(published=2)
            )
        await stubs.clear_requests()

        await batched.write(resources, both)

        assert await _listings(stubs, org) == ["/api/invoices"]
        held = await emulator_control.live(org.realm_id, "Invoice")
        assert sorted(r.body["DocNumber"] for r in held) == sorted(
            i.invoice_number for i in invoices
        )

    async def test_invoices_of_customers_not_written_yet_read_the_customers_listing_too(
        self, resources, org, aforo, stubs, emulator_control, sessionmaker
    ) -> None:
        customer = await aforo.customer(customer_name="Written With Its Invoices")
        await aforo.invoice(customer)
        job_id = await _invoices_job(resources, org, sessionmaker)
        await stubs.clear_requests()

        await batched.write(resources, job_id)

        assert await _listings(stubs, org) == ["/api/invoices", "/v1/api/customers"]
        assert not [
            r for r in await stubs.requests("org") if r.path.endswith(f"/{customer.customer_id}")
        ]
        assert len(await emulator_control.live(org.realm_id, "Invoice")) == 1
