"""Bursts of one kind go out through QuickBooks' batch endpoint, each record still its own
sync (own sync-log row, settlement; the group's transaction shared); a lone work is a plain
create."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from qbo_emulator import batch as emulator_batch
from qbo_emulator import faults as emulator_faults
from qbo_emulator.aforo import StubInvoice
from qbo_emulator.control import EmulatorControl
from qbsync.config import SchedulerSettings
from qbsync.db.locks import lock_until_commit
from qbsync.quickbooks.schemas import EmailAddress
from qbsync.quickbooks.schemas.names import Customer
from qbsync.resources import Resources
from qbsync.scheduler import repository
from qbsync.scheduler.executor import engine_batching, engine_executor
from qbsync.scheduler.models import PendingWork, Priority, WorkState
from qbsync.scheduler.runner import Scheduler
from qbsync.scheduler.service import Scheduling
from qbsync.sync import customers as customers_sync
from qbsync.sync.context import SyncDeps
from qbsync.sync.models import Mapping, SyncLog
from tests.fixtures.sync import AforoData, Org
from tests.quickbooks.emulated import invoice_for

from .conftest import work

SETTINGS = SchedulerSettings(concurrency=40, poll_interval_s=0.05, retry_delays_s=[0.1])
# No member here is held up for good: a batch leaves when every member waits on it, never
# on the linger, however slowly a busy machine runs them.
LINGER_S = 30.0


@dataclass
class World:
    """A connected organization, its Aforo records and QuickBooks company, and a database
    pool wide enough for a full burst."""

    sessionmaker: async_sessionmaker[AsyncSession]
    resources: Resources
    deps: SyncDeps
    org: Org
    aforo: AforoData
    emulator: EmulatorControl

    def parts(
        self,
    ) -> tuple[
        async_sessionmaker[AsyncSession], Resources, SyncDeps, Org, AforoData, EmulatorControl
    ]:
        return self.sessionmaker, self.resources, self.deps, self.org, self.aforo, self.emulator


@pytest.fixture
async def world(
    database_url: str,
    resources: Resources,
    deps: SyncDeps,
    org: Org,
    aforo: AforoData,
    emulator_control: EmulatorControl,
) -> AsyncIterator[World]:
    engine = create_async_engine(database_url, pool_size=SETTINGS.concurrency + 2)
    yield World(
        async_sessionmaker(engine, expire_on_commit=False),
        resources,
        deps,
        org,
        aforo,
        emulator_control,
    )
    await engine.dispose()


def _scheduler(
    sessionmaker: async_sessionmaker[AsyncSession], resources: Resources, deps: SyncDeps
) -> Scheduler:
    return Scheduler(
        sessionmaker=sessionmaker,
        execute=engine_executor(deps),
        limiters=resources.quickbooks.limiters,
        settings=SETTINGS,
        batching=engine_batching(deps, sessionmaker, linger_s=LINGER_S),
        listen=False,
    )


async def _drain(
    sessionmaker: async_sessionmaker[AsyncSession], resources: Resources, deps: SyncDeps
) -> None:
    """Run a scheduler until no work is pending or running (parked work stays)."""
    scheduler = _scheduler(sessionmaker, resources, deps)
    await scheduler.start()
    try:
        async with asyncio.timeout(60):
            while True:
                async with sessionmaker() as session:
                    busy = await session.scalars(
                        select(PendingWork.id).where(PendingWork.state != WorkState.PARKED)
                    )
                    if busy.first() is None:
                        return
                await asyncio.sleep(0.05)
    finally:
        await scheduler.stop()


async def _enqueue(
    sessionmaker: async_sessionmaker[AsyncSession], org: Org, kind: str, numbers: list[int]
) -> None:
    async with sessionmaker.begin() as session:
        for number in numbers:
            await repository.enqueue(session, work(org.organization_id, number, kind=kind))


async def _writes_since(emulator: EmulatorControl, realm_id: str, start: int) -> list[str]:
    """The POSTs QuickBooks received after ``start``: ``batch`` or the entity written alone."""
    log = (await emulator.requests(realm_id))[start:]
    return [r.path.rsplit("/", 1)[-1] for r in log if r.method == "POST"]


async def _logged(
    sessionmaker: async_sessionmaker[AsyncSession], org: Org, kind: str
) -> dict[str, list[SyncLog]]:
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(SyncLog)
            .where(SyncLog.organization_id == org.organization_id, SyncLog.entity_type == kind)
            .order_by(SyncLog.id)
        )
    logged: dict[str, list[SyncLog]] = {}
    for row in rows:
        logged.setdefault(row.aforo_id, []).append(row)
    return logged


async def _mapped(
    sessionmaker: async_sessionmaker[AsyncSession], org: Org, kind: str
) -> dict[str, str]:
    async with sessionmaker() as session:
        rows = await session.execute(
            select(Mapping.aforo_id, Mapping.quickbooks_id).where(
                Mapping.organization_id == org.organization_id, Mapping.entity_type == kind
            )
        )
    return dict(rows.all())


async def _invoices_after_one(world: World, customer_name: str, count: int) -> list[StubInvoice]:
    """``count`` invoices of one customer, the first synced alone: its customer and item are
    mapped by then, so the others' creates are invoices only."""
    customer = await world.aforo.customer(customer_name=customer_name)
    invoices = [await world.aforo.invoice(customer) for _ in range(count)]
    await _enqueue(world.sessionmaker, world.org, "INVOICE", [invoices[0].id])
    await _drain(world.sessionmaker, world.resources, world.deps)
    return invoices


class TestBurst:
    async def test_a_burst_rides_ceil_n_over_30_batches_and_a_lone_work_a_plain_create(
        self, world: World
    ) -> None:
        wide, resources, deps, org, _aforo, emulator_control = world.parts()
        invoices = await _invoices_after_one(world, "Month End Ltd", 36)
        alone = await _writes_since(emulator_control, org.realm_id, 0)
        assert alone[-1] == "invoice", "a lone work is a plain create"
        assert "batch" not in alone

        # The month-end burst: its customer and item are mapped by now.
        start = len(await emulator_control.requests(org.realm_id))
        await _enqueue(wide, org, "INVOICE", [i.id for i in invoices[1:]])
        await _drain(wide, resources, deps)

        assert await _writes_since(emulator_control, org.realm_id, start) == ["batch", "batch"]
        held = await emulator_control.live(org.realm_id, "Invoice")
        assert sorted(r.body["DocNumber"] for r in held) == sorted(
            i.invoice_number for i in invoices
        )
        mapped = await _mapped(wide, org, "INVOICE")
        assert sorted(mapped.values()) == sorted(r.id for r in held)
        logged = await _logged(wide, org, "INVOICE")
        assert {aforo_id: len(rows) for aforo_id, rows in logged.items()} == {
            f"invoice-{i.id}": 1 for i in invoices
        }
        assert {row.status for rows in logged.values() for row in rows} == {"SUCCESS"}


class TestItemFaults:
    async def test_duplicate_names_in_a_batch_are_adopted_or_suffixed_item_by_item(
        self, world: World
    ) -> None:
        wide, resources, deps, org, aforo, emulator_control = world.parts()
        qbo = resources.quickbooks.client(
            organization_id=org.organization_id, realm_id=org.realm_id
        )
        ours = await aforo.customer(customer_name="Hooli", primary_email="ap@hooli.example")
        theirs = await aforo.customer(customer_name="Globex", primary_email="ap@ours.example")
        fresh = [await aforo.customer(customer_name=f"Fresh {n}") for n in range(3)]
        hooli = await qbo.create(
            Customer(
                display_name="Hooli", primary_email_addr=EmailAddress(address="ap@hooli.example")
            ),
            request_id="hooli-by-hand",
        )
        await qbo.create(Customer(display_name="Globex"), request_id="somebody-else")

        start = len(await emulator_control.requests(org.realm_id))
        everyone = [ours, theirs, *fresh]
        await _enqueue(wide, org, "CUSTOMER", [c.customer_id for c in everyone])
        await _drain(wide, resources, deps)

        # One batch of the five; each 6240 costs its own look-up; the customer already ours
        # is updated (LINK), the other name taken gets its suffixed create (a batch of one).
        writes = await _writes_since(emulator_control, org.realm_id, start)
        assert writes[0] == "batch"
        assert Counter(writes) == {"batch": 2, "query": 2, "customer": 1}
        first = next(r for r in await emulator_control.requests(org.realm_id) if "batch" in r.path)
        assert first.body is not None
        assert len(json.loads(first.body)["BatchItemRequest"]) == 5
        logged = await _logged(wide, org, "CUSTOMER")
        actions = {
            aforo_id: [(r.status, r.action) for r in rows] for aforo_id, rows in logged.items()
        }
        assert actions == {
            f"CUST-{ours.customer_id}": [("SUCCESS", "LINK")],
            f"CUST-{theirs.customer_id}": [("SUCCESS", "CREATE")],
            **{f"CUST-{c.customer_id}": [("SUCCESS", "CREATE")] for c in fresh},
        }
        mapped = await _mapped(wide, org, "CUSTOMER")
        assert mapped[f"CUST-{ours.customer_id}"] == hooli.id
        names = Counter(
            r.body["DisplayName"] for r in await emulator_control.live(org.realm_id, "Customer")
        )
        assert names == Counter(
            ["Hooli", "Globex", f"Globex (CUST-{theirs.customer_id})"]
            + [f"Fresh {n}" for n in range(3)]
        )

    async def test_a_number_held_by_another_customer_parks_that_invoice_only(
        self, world: World
    ) -> None:
        wide, resources, deps, org, aforo, emulator_control = world.parts()
        invoices = await _invoices_after_one(world, "Initech", 5)
        other = await aforo.customer(customer_name="Someone Else")
        await _enqueue(wide, org, "CUSTOMER", [other.customer_id])
        await _drain(wide, resources, deps)
        other_id = (await _mapped(wide, org, "CUSTOMER"))[f"CUST-{other.customer_id}"]
        items = await emulator_control.live(org.realm_id, "Item")
        item_id = next(r.id for r in items if r.body["Type"] == "Service")
        qbo = resources.quickbooks.client(
            organization_id=org.organization_id, realm_id=org.realm_id
        )
        taken = invoices[3]
        await qbo.create(
            invoice_for(other_id, item_id, taken.invoice_number), request_id="by-hand-elsewhere"
        )

        start = len(await emulator_control.requests(org.realm_id))
        await _enqueue(wide, org, "INVOICE", [i.id for i in invoices[1:]])
        await _drain(wide, resources, deps)

        assert (await _writes_since(emulator_control, org.realm_id, start))[0] == "batch"
        logged = await _logged(wide, org, "INVOICE")
        statuses = {aforo_id: [r.status for r in rows] for aforo_id, rows in logged.items()}
        assert statuses == {
            **{f"invoice-{i.id}": ["SUCCESS"] for i in invoices if i is not taken},
            f"invoice-{taken.id}": ["FAILED"],
        }
        async with wide() as session:
            parked = list(await session.scalars(select(PendingWork)))
        assert [(p.aforo_id, p.state) for p in parked] == [(f"invoice-{taken.id}", "PARKED")]
        assert f"invoice-{taken.id}" not in await _mapped(wide, org, "INVOICE")


class TestLostAndFailedBatches:
    async def test_a_lost_batch_answer_resent_writes_nothing_twice(self, world: World) -> None:
        wide, resources, deps, org, aforo, emulator_control = world.parts()
        customers = [await aforo.customer(customer_name=f"Lost {n}") for n in range(6)]
        await emulator_control.queue_fault(
            "lost_response", realm_id=org.realm_id, path_contains="batch"
        )
        start = len(await emulator_control.requests(org.realm_id))
        await _enqueue(wide, org, "CUSTOMER", [c.customer_id for c in customers])
        await _drain(wide, resources, deps)

        sent = [
            r
            for r in (await emulator_control.requests(org.realm_id))[start:]
            if r.path.endswith("/batch")
        ]
        assert len(sent) == 2
        assert sent[0].requestid == sent[1].requestid
        names = Counter(
            r.body["DisplayName"] for r in await emulator_control.live(org.realm_id, "Customer")
        )
        assert names == Counter(f"Lost {n}" for n in range(6))
        logged = await _logged(wide, org, "CUSTOMER")
        assert [[r.status for r in rows] for rows in logged.values()] == [["SUCCESS"]] * 6

    async def test_a_batch_answer_lost_past_the_retries_is_replayed_by_each_repeat(
        self, world: World
    ) -> None:
        wide, resources, deps, org, aforo, emulator_control = world.parts()
        customers = [await aforo.customer(customer_name=f"Unknown {n}") for n in range(4)]
        attempts = resources.settings.quickbooks.max_attempts
        await emulator_control.queue_fault(
            "lost_response", realm_id=org.realm_id, path_contains="batch", count=attempts
        )
        start = len(await emulator_control.requests(org.realm_id))
        await _enqueue(wide, org, "CUSTOMER", [c.customer_id for c in customers])
        await _drain(wide, resources, deps)

        # QuickBooks wrote the four with the first batch; every answer was lost, so each
        # record is tried again, alone: as that batch request again, answered from the
        # replay store. No create goes out on its own.
        sent = (await emulator_control.requests(org.realm_id))[start:]
        writes = [r for r in sent if r.method == "POST"]
        assert [r.path.rsplit("/", 1)[-1] for r in writes] == ["batch"] * (attempts + 4)
        assert len({r.requestid for r in writes}) == 1
        names = Counter(
            r.body["DisplayName"] for r in await emulator_control.live(org.realm_id, "Customer")
        )
        assert names == Counter(f"Unknown {n}" for n in range(4))
        logged = await _logged(wide, org, "CUSTOMER")
        assert [[r.status for r in rows] for rows in logged.values()] == [
            ["RETRYING", "SUCCESS"]
        ] * 4
        mapped = await _mapped(wide, org, "CUSTOMER")
        held = await emulator_control.live(org.realm_id, "Customer")
        assert sorted(mapped.values()) == sorted(r.id for r in held)

    async def test_a_batch_that_failed_is_retried_record_by_record(self, world: World) -> None:
        wide, resources, deps, org, aforo, emulator_control = world.parts()
        customers = [await aforo.customer(customer_name=f"Retry {n}") for n in range(4)]
        await emulator_control.queue_fault(
            "http_503",
            realm_id=org.realm_id,
            path_contains="batch",
            count=resources.settings.quickbooks.max_attempts,
        )
        start = len(await emulator_control.requests(org.realm_id))
        await _enqueue(wide, org, "CUSTOMER", [c.customer_id for c in customers])
        await _drain(wide, resources, deps)

        writes = await _writes_since(emulator_control, org.realm_id, start)
        attempts = resources.settings.quickbooks.max_attempts
        # The second attempts go out alone, each as that batch request again first: the
        # first to arrive runs it (QuickBooks never did) with its own item, the others find
        # it answered without theirs and create alone.
        assert writes[:attempts] == ["batch"] * attempts
        assert Counter(writes[attempts:]) == {"batch": 4, "customer": 3}
        logged = await _logged(wide, org, "CUSTOMER")
        assert [[r.status for r in rows] for rows in logged.values()] == [
            ["RETRYING", "SUCCESS"]
        ] * 4
        assert len(await emulator_control.live(org.realm_id, "Customer")) == 4

    async def test_a_replayed_record_of_a_lost_batch_goes_as_that_batch_again_not_alone(
        self, world: World
    ) -> None:
        wide, resources, deps, org, _aforo, emulator_control = world.parts()
        invoices = await _invoices_after_one(world, "Replayed Ltd", 3)
        # QuickBooks writes the burst's batch, every answer to it is lost: each work waits
        # for a retry that an operator pre-empts (parks, then replays one of them).
        await emulator_control.queue_fault(
            "lost_response",
            realm_id=org.realm_id,
            path_contains="batch",
            count=resources.settings.quickbooks.max_attempts,
        )
        await _enqueue(wide, org, "INVOICE", [i.id for i in invoices[1:]])
        scheduler = Scheduler(
            sessionmaker=wide,
            execute=engine_executor(deps),
            limiters=resources.quickbooks.limiters,
            settings=SETTINGS.model_copy(update={"retry_delays_s": [3600.0]}),
            batching=engine_batching(deps, wide, linger_s=LINGER_S),
            listen=False,
        )
        await scheduler.start()
        try:
            async with asyncio.timeout(60):
                while True:
                    async with wide() as session:
                        tried = list(await session.scalars(select(PendingWork.attempts)))
                    if tried == [1, 1]:
                        break
                    await asyncio.sleep(0.05)
        finally:
            await scheduler.stop()
        async with wide.begin() as session:
            rows = list(await session.scalars(select(PendingWork).order_by(PendingWork.id)))
            for row in rows:
                await repository.park(
                    session, row.id, reason="attempts_exhausted", error=("x", "y", "z")
                )
            await repository.replay(session, rows[0], max_attempts=3)

        start = len(await emulator_control.requests(org.realm_id))
        await _drain(wide, resources, deps)

        # A fresh row (no attempts, no claims) of a record that went out in a batch: that
        # batch request again, answered from the replay store, never a create of its own.
        assert await _writes_since(emulator_control, org.realm_id, start) == ["batch"]
        held = await emulator_control.live(org.realm_id, "Invoice")
        assert sorted(r.body["DocNumber"] for r in held) == sorted(
            i.invoice_number for i in invoices
        )
        logged = await _logged(wide, org, "INVOICE")
        assert [r.status for r in logged[f"invoice-{invoices[1].id}"]] == ["RETRYING", "SUCCESS"]

    async def test_an_item_a_batch_answer_left_out_is_parked_never_created_alone(
        self, world: World
    ) -> None:
        wide, resources, deps, org, _aforo, emulator_control = world.parts()
        invoices = await _invoices_after_one(world, "Left Out Ltd", 4)
        # QuickBooks runs the whole batch, but its answer (and so its replay) has no result
        # for one item: whether that invoice was written is unknown.
        await emulator_control.queue_fault(
            "batch_item_omitted", realm_id=org.realm_id, path_contains="batch"
        )
        start = len(await emulator_control.requests(org.realm_id))
        await _enqueue(wide, org, "INVOICE", [i.id for i in invoices[1:]])
        await _drain(wide, resources, deps)

        assert await _writes_since(emulator_control, org.realm_id, start) == ["batch"]
        async with wide() as session:
            [parked] = list(await session.scalars(select(PendingWork)))
        assert (parked.state, parked.park_reason) == ("PARKED", "permanent_error")
        assert parked.error_code == "quickbooks_outcome_unknown"
        assert "QuickBooks" in (parked.error_message or "")
        logged = await _logged(wide, org, "INVOICE")
        assert [r.status for r in logged[parked.aforo_id]] == ["FAILED"]

        # An operator replays it without looking: the batch request again, answered from
        # the replay store still without the item; still no create of its own.
        async with wide.begin() as session:
            await repository.replay(session, parked, max_attempts=3)
        start = len(await emulator_control.requests(org.realm_id))
        await _drain(wide, resources, deps)
        assert await _writes_since(emulator_control, org.realm_id, start) == ["batch"]
        async with wide() as session:
            [again] = list(await session.scalars(select(PendingWork)))
        assert (again.state, again.error_code) == ("PARKED", "quickbooks_outcome_unknown")
        held = await emulator_control.live(org.realm_id, "Invoice")
        assert sorted(r.body["DocNumber"] for r in held) == sorted(
            i.invoice_number for i in invoices
        )

    async def test_an_item_refused_for_a_passing_reason_is_written_on_retry(
        self, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        wide, resources, deps, org, aforo, emulator_control = world.parts()
        customers = [await aforo.customer(customer_name=f"Refused Once {n}") for n in range(4)]
        refused: list[str] = []
        run_item = emulator_batch._run_item

        def refuse_once(realm, item, *, include):  # type: ignore[no-untyped-def]
            name = item.get("Customer", {}).get("DisplayName")
            if name == "Refused Once 2" and not refused:
                refused.append(name)
                raise emulator_faults.system_failure()  # fault 10000 in the item
            return run_item(realm, item, include=include)

        monkeypatch.setattr(emulator_batch, "_run_item", refuse_once)
        await _enqueue(wide, org, "CUSTOMER", [c.customer_id for c in customers])
        await _drain(wide, resources, deps)

        # Its repeat does not replay the refusal stored with the batch request: it goes anew.
        names = Counter(
            r.body["DisplayName"] for r in await emulator_control.live(org.realm_id, "Customer")
        )
        assert names == Counter(f"Refused Once {n}" for n in range(4))
        logged = await _logged(wide, org, "CUSTOMER")
        flaky = f"CUST-{customers[2].customer_id}"
        assert [r.status for r in logged[flaky]] == ["RETRYING", "SUCCESS"]
        assert [[r.status for r in rows] for key, rows in logged.items() if key != flaky] == [
            ["SUCCESS"]
        ] * 3


class TestPersonFirst:
    async def test_a_person_is_served_alone_while_a_burst_waits_on_its_batch(
        self, world: World
    ) -> None:
        wide, resources, deps, org, aforo, emulator_control = world.parts()
        invoices = await _invoices_after_one(world, "Busy Month Ltd", 4)
        # The burst's batch goes unanswered for a while (then the client sends it again).
        await emulator_control.queue_fault("timeout", realm_id=org.realm_id, path_contains="batch")
        await _enqueue(wide, org, "INVOICE", [i.id for i in invoices[1:]])
        holder = _scheduler(wide, resources, deps)
        await holder.start()
        try:
            async with asyncio.timeout(20):
                while not any(  # noqa: ASYNC110 - polls the emulator, another process
                    r.path.endswith("/batch") for r in await emulator_control.requests(org.realm_id)
                ):
                    await asyncio.sleep(0.02)
            person = await aforo.customer(customer_name="Waiting Person Ltd")
            scheduling = Scheduling(
                sessionmaker=wide,
                execute=engine_executor(deps),
                limiters=resources.quickbooks.limiters,
                settings=SETTINGS,
                batching=engine_batching(deps, wide),
                scheduler=holder,
            )
            request = scheduling.request(
                organization_id=org.organization_id,
                kind="CUSTOMER",
                aforo_id=f"CUST-{person.customer_id}",
                priority=Priority.INTERACTIVE,
                trigger="MANUAL",
            )
            waited = await scheduling.wait_for(request)
            assert waited.result is not None
            assert (waited.result.status, waited.result.action) == ("SUCCESS", "CREATE")
            async with wide() as session:
                running = list(await session.scalars(select(PendingWork.aforo_id)))
            # The burst was still waiting on its batch: the person's create went alone.
            assert sorted(running) == sorted(f"invoice-{i.id}" for i in invoices[1:])
            writes = await _writes_since(emulator_control, org.realm_id, 0)
            assert writes[-2:] == ["batch", "customer"]
        finally:
            await holder.stop()
        held = await emulator_control.live(org.realm_id, "Invoice")
        assert len(held) == 4


class TestSharedTransaction:
    """A burst's group shares one transaction: one connection for all its members, and all
    or nothing when a member raises."""

    async def test_a_full_burst_runs_on_a_pool_of_three_connections(
        self, database_url: str, world: World
    ) -> None:
        _wide, resources, deps, org, aforo, emulator_control = world.parts()
        engine = create_async_engine(database_url, pool_size=3, max_overflow=0, pool_timeout=5)
        narrow = async_sessionmaker(engine, expire_on_commit=False)
        try:
            customers = [await aforo.customer(customer_name=f"Narrow {n}") for n in range(30)]
            start = len(await emulator_control.requests(org.realm_id))
            await _enqueue(narrow, org, "CUSTOMER", [c.customer_id for c in customers])
            await _drain(narrow, resources, deps)

            assert await _writes_since(emulator_control, org.realm_id, start) == ["batch"]
            logged = await _logged(narrow, org, "CUSTOMER")
            assert [[r.status for r in rows] for rows in logged.values()] == [["SUCCESS"]] * 30
        finally:
            await engine.dispose()

    async def test_a_member_that_raises_is_parked_and_the_others_are_written_once(
        self, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        wide, resources, deps, org, aforo, emulator_control = world.parts()
        customers = [await aforo.customer(customer_name=f"Group {n}") for n in range(5)]
        broken = customers[2]
        real = customers_sync.map_customer

        def map_or_break(customer: Any, **kwargs: Any) -> Any:
            if customer.customer_id == broken.customer_id:
                raise RuntimeError("a bug in the mapper")
            return real(customer, **kwargs)

        monkeypatch.setattr(customers_sync, "map_customer", map_or_break)
        await _enqueue(wide, org, "CUSTOMER", [c.customer_id for c in customers])
        await _drain(wide, resources, deps)

        # The group rolled back: the others ran again (alone: their creates are that
        # batch request again, answered from QuickBooks' replay) and each exists once.
        names = Counter(
            r.body["DisplayName"] for r in await emulator_control.live(org.realm_id, "Customer")
        )
        assert names == Counter(f"Group {n}" for n in (0, 1, 3, 4))
        logged = await _logged(wide, org, "CUSTOMER")
        assert [r.status for r in logged[f"CUST-{broken.customer_id}"]] == ["FAILED"]
        assert all(
            [r.status for r in logged[f"CUST-{c.customer_id}"]] == ["SUCCESS"]
            for c in customers
            if c is not broken
        )
        async with wide() as session:
            parked = await session.scalar(
                select(PendingWork).where(PendingWork.aforo_id == f"CUST-{broken.customer_id}")
            )
        assert parked is not None
        assert parked.state == WorkState.PARKED
        assert parked.park_reason == "unexpected_error"

    async def test_a_member_whose_record_another_sync_holds_retries_and_the_rest_go_on(
        self, world: World
    ) -> None:
        wide, resources, deps, org, aforo, _emulator = world.parts()
        customers = [await aforo.customer(customer_name=f"Busy {n}") for n in range(3)]
        held = customers[0]
        async with wide.begin() as session:
            # Another transaction holds the record's lock for longer than a member waits.
            await lock_until_commit(
                session, f"{org.organization_id}:CUSTOMER:CUST-{held.customer_id}"
            )
            await _enqueue(wide, org, "CUSTOMER", [c.customer_id for c in customers])
            scheduler = _scheduler(wide, resources, deps)
            await scheduler.start()
            try:
                async with asyncio.timeout(30):
                    # Polls the database the scheduler writes from another task.
                    while len(await _mapped(wide, org, "CUSTOMER")) < 2:  # noqa: ASYNC110
                        await asyncio.sleep(0.05)
            finally:
                await scheduler.stop()
        logged = await _logged(wide, org, "CUSTOMER")
        [busy] = logged[f"CUST-{held.customer_id}"]
        assert (busy.status, busy.error_code) == ("RETRYING", "record_busy")

        await _drain(wide, resources, deps)  # the lock is free now
        logged = await _logged(wide, org, "CUSTOMER")
        assert [r.status for r in logged[f"CUST-{held.customer_id}"]] == ["RETRYING", "SUCCESS"]
        assert len(await _mapped(wide, org, "CUSTOMER")) == 3


class TestDependencies:
    async def test_a_burst_of_invoices_waits_for_its_customers_burst(self, world: World) -> None:
        wide, resources, deps, org, aforo, emulator_control = world.parts()
        customers = [await aforo.customer(customer_name=f"New Customer {n}") for n in range(3)]
        invoices = [await aforo.invoice(c) for c in customers for _ in range(2)]
        start = len(await emulator_control.requests(org.realm_id))
        async with wide.begin() as session:  # both bursts due at once, invoices first
            for invoice in invoices:
                await repository.enqueue(session, work(org.organization_id, invoice.id))
            for customer in customers:
                await repository.enqueue(
                    session, work(org.organization_id, customer.customer_id, kind="CUSTOMER")
                )
        await _drain(wide, resources, deps)

        # The customers' batch first; the invoices found them mapped (no invoice synced or
        # waited on a customer itself: one row for each customer). The plan's item is made
        # by the first invoice.
        batches = [
            [next(k for k in item if k not in ("bId", "operation")) for item in batch]
            for r in (await emulator_control.requests(org.realm_id))[start:]
            if r.path.endswith("/batch") and r.body
            for batch in [json.loads(r.body)["BatchItemRequest"]]
        ]
        assert batches[0] == ["Customer"] * 3
        later = [entity for batch in batches[1:] for entity in batch]
        assert Counter(later) == {"Item": 1, "Invoice": 6}
        # The new company's setup was read once for the burst, not once per invoice.
        gets = [r.path for r in await emulator_control.requests(org.realm_id) if r.method == "GET"]
        assert sum("/companyinfo/" in path for path in gets) == 1
        assert sum(path.endswith("/preferences") for path in gets) == 1
        logged = await _logged(wide, org, "CUSTOMER")
        assert [[r.status for r in rows] for rows in logged.values()] == [["SUCCESS"]] * 3
        logged = await _logged(wide, org, "INVOICE")
        assert [[r.status for r in rows] for rows in logged.values()] == [["SUCCESS"]] * 6
        # The item was made once, by one invoice; the others waited for it, no attempt of
        # their own on it.
        logged = await _logged(wide, org, "ITEM")
        assert [[(r.status, r.action) for r in rows] for rows in logged.values()] == [
            [("SUCCESS", "CREATE")]
        ]
