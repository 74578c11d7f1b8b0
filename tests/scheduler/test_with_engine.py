"""Pending work through the real engine, against the emulator and the Aforo stubs."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbo_emulator.control import EmulatorControl
from qbsync.config import SchedulerSettings
from qbsync.resources import Resources
from qbsync.scheduler import repository
from qbsync.scheduler.executor import engine_executor
from qbsync.scheduler.models import PendingWork, Priority, RealmLease
from qbsync.scheduler.runner import Scheduler
from qbsync.scheduler.service import Scheduling
from qbsync.sync.context import SyncDeps
from qbsync.sync.mappers.payments import PaymentFacts
from qbsync.sync.models import SyncLog
from qbsync.sync.results import SyncResult
from tests.fixtures.sync import AforoData, Org

from .conftest import work

SETTINGS = SchedulerSettings(poll_interval_s=0.05, retry_delays_s=[0.1], manual_wait_s=20)


async def _drain(sessionmaker: async_sessionmaker[AsyncSession], scheduler: Scheduler) -> None:
    await scheduler.start()
    try:
        async with asyncio.timeout(30):
            while True:
                async with sessionmaker() as session:
                    if not (await session.scalars(select(PendingWork.id))).first():
                        return
                await asyncio.sleep(0.05)
    finally:
        await scheduler.stop()


class TestEvents:
    async def test_invoices_and_a_payment_reach_quickbooks_once(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        resources: Resources,
        deps: SyncDeps,
        org: Org,
        aforo: AforoData,
        emulator_control: EmulatorControl,
    ) -> None:
        customer = await aforo.customer()
        invoices = [await aforo.invoice(customer) for _ in range(4)]
        payment = await aforo.payment(invoices[0], "210.00")
        facts = PaymentFacts(
            payment_id=payment.id,
            organization_id=org.organization_id,
            invoice_id=invoices[0].id,
            customer_id=customer.customer_id,
            amount=payment.amount,
            paid_at=payment.paid_at,
        )
        async with sessionmaker.begin() as session:
            for invoice in invoices * 3:  # every event three times: coalesced
                await repository.enqueue(session, work(org.organization_id, invoice.id))
            await repository.enqueue(
                session,
                work(
                    org.organization_id,
                    kind="PAYMENT",
                    number=payment.id,  # type: ignore[arg-type]
                    details=facts.to_details(),
                ),
            )
        scheduler = Scheduler(
            sessionmaker=sessionmaker,
            execute=engine_executor(deps),
            limiters=resources.quickbooks.limiters,
            settings=SETTINGS,
        )
        await _drain(sessionmaker, scheduler)

        held = await emulator_control.live(org.realm_id, "Invoice")
        assert sorted(r.body["DocNumber"] for r in held) == sorted(
            i.invoice_number for i in invoices
        )
        assert len(await emulator_control.live(org.realm_id, "Payment")) == 1
        assert all(r.status != 429 for r in await emulator_control.requests(org.realm_id))
        async with sessionmaker() as session:
            logged = list(
                await session.scalars(
                    select(SyncLog).where(
                        SyncLog.organization_id == org.organization_id,
                        SyncLog.entity_type.in_(["INVOICE", "PAYMENT"]),
                    )
                )
            )
        # An invoice the payment synced first as its dependency is SKIPPED when its own turn comes.
        assert {r.status for r in logged} <= {"SUCCESS", "SKIPPED"}
        assert {r.trigger for r in logged} == {"EVENT"}
        assert [r.status for r in logged if r.entity_type == "PAYMENT"] == ["SUCCESS"]


class TestManual:
    async def test_a_waiting_caller_gets_the_result_with_no_scheduler_running(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        resources: Resources,
        deps: SyncDeps,
        org: Org,
        aforo: AforoData,
        emulator_control: EmulatorControl,
    ) -> None:
        customer = await aforo.customer()
        request = work(
            org.organization_id,
            customer.customer_id,
            kind="CUSTOMER",
            priority=Priority.INTERACTIVE,
            trigger="MANUAL",
            max_attempts=1,
        )
        scheduling = Scheduling(
            sessionmaker=sessionmaker,
            execute=engine_executor(deps),
            limiters=resources.quickbooks.limiters,
            settings=SETTINGS,
        )

        async def ask() -> SyncResult:
            waited = await scheduling.wait_for(request)
            assert waited.result is not None
            return waited.result

        first = await ask()
        assert (first.status, first.action, first.error) == ("SUCCESS", "CREATE", None)
        [held] = await emulator_control.live(org.realm_id, "Customer")
        assert first.quickbooks_id == held.id
        again = await ask()
        assert (again.status, again.action) == ("SKIPPED", "SKIP")
        async with sessionmaker() as session:
            assert (await session.scalars(select(PendingWork.id))).first() is None


class TestManualAheadOfBacklog:
    async def test_the_realm_holder_runs_the_waiting_sync_before_its_backlog(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        resources: Resources,
        deps: SyncDeps,
        org: Org,
        aforo: AforoData,
    ) -> None:
        customer = await aforo.customer()
        invoices = [await aforo.invoice(customer) for _ in range(12)]
        async with sessionmaker.begin() as session:
            for invoice in invoices:
                await repository.enqueue(session, work(org.organization_id, invoice.id))
        holder = Scheduler(
            sessionmaker=sessionmaker,
            execute=engine_executor(deps),
            limiters=resources.quickbooks.limiters,
            settings=SchedulerSettings(realm_concurrency=1, poll_interval_s=0.05),
        )
        await holder.start()
        try:
            async with asyncio.timeout(20):
                while org.realm_id not in holder.lanes:  # noqa: ASYNC110 - polls another task's state
                    await asyncio.sleep(0.02)
            other = await aforo.customer(customer_name="Waiting Person Ltd")
            scheduling = Scheduling(
                sessionmaker=sessionmaker,
                execute=engine_executor(deps),
                limiters=resources.quickbooks.limiters,
                settings=SETTINGS,
            )
            request = scheduling.request(
                organization_id=org.organization_id,
                kind="CUSTOMER",
                aforo_id=f"CUST-{other.customer_id}",
                priority=Priority.INTERACTIVE,
                trigger="MANUAL",
            )
            waited = await scheduling.wait_for(request)
            assert waited.result is not None
            assert (waited.result.status, waited.result.action) == ("SUCCESS", "CREATE")
            async with sessionmaker() as session:
                left = list(await session.scalars(select(PendingWork.aforo_id)))
            assert len(left) > 3  # the backlog was still there: the person went first
        finally:
            await holder.stop()

    async def test_a_caller_that_cannot_be_served_in_time_gets_none_and_the_work_stays(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        resources: Resources,
        deps: SyncDeps,
        org: Org,
    ) -> None:
        scheduling = Scheduling(
            sessionmaker=sessionmaker,
            execute=engine_executor(deps),
            limiters=resources.quickbooks.limiters,
            settings=SchedulerSettings(manual_wait_s=0.3),
        )
        request = scheduling.request(
            organization_id=org.organization_id,
            kind="CUSTOMER",
            aforo_id="CUST-5",
            priority=Priority.INTERACTIVE,
            trigger="MANUAL",
        )
        async with sessionmaker.begin() as session:
            await repository.enqueue(session, request)  # the realm's lease row exists now
            await session.execute(
                update(RealmLease)
                .where(RealmLease.lane == org.realm_id)
                .values(holder="stalled", lease_until=func.now() + timedelta(minutes=5))
            )
        waited = await scheduling.wait_for(request)
        assert waited.result is None
        async with sessionmaker() as session:
            row = await session.get(PendingWork, waited.work_id)
        assert row is not None
        assert (row.state, row.priority) == ("PENDING", 0)
