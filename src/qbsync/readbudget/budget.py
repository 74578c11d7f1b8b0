"""The read budget one process enforces: reads counted in memory, added to the shared table
every few seconds, and the month's total for every process read back each time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.config import QuickBooksSettings
from qbsync.db.base import utcnow
from qbsync.metrics import QBO_BILLABLE_READS, QBO_READ_BUDGET, QBO_READS_DEFERRED, QBO_READS_MONTH
from qbsync.quickbooks.errors import QuickBooksReadDeferred
from qbsync.quickbooks.reads import BudgetState, ReadMeter, ReadPurpose, allows
from qbsync.readbudget import repository
from qbsync.readbudget.models import NO_ORGANIZATION
from qbsync.readbudget.repository import UsageKey

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def month_of(moment: datetime) -> date:
    return moment.date().replace(day=1)


def next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def forecast(used: int, *, now: datetime) -> int:
    """The month's reads if the rest of it goes like the part that is over."""
    start = datetime.combine(month_of(now), datetime.min.time(), tzinfo=now.tzinfo)
    end = datetime.combine(next_month(month_of(now)), datetime.min.time(), tzinfo=now.tzinfo)
    elapsed = max((now - start).total_seconds(), 3600.0)  # the first hour says little
    return round(used * (end - start).total_seconds() / elapsed)


class _OrganizationMeter:
    def __init__(self, budget: ReadBudget, organization_id: int) -> None:
        self._budget = budget
        self._organization_id = organization_id

    def admit(self, purpose: ReadPurpose) -> None:
        self._budget.admit(purpose)

    def spent(self, kind: str, count: int, purpose: ReadPurpose) -> None:
        self._budget.spent(self._organization_id, kind, count, purpose)


class ReadBudget:
    """Process-wide; implements ``quickbooks.reads.ReadMeters``.

    Between two flushes another process's reads are not seen yet: the thresholds are
    enforced within one flush interval of reads, which is why they sit below the budget.
    """

    def __init__(self, settings: QuickBooksSettings, *, clock: Clock = utcnow) -> None:
        self._settings = settings
        self._clock = clock
        self._month = month_of(clock())
        self._shared = 0  # the table's total for the month at the last flush
        self._unflushed = 0  # this process's reads of the month since then
        self._pending: dict[UsageKey, int] = {}
        # One flush at a time: a flush that answers a person must see the one running.
        self._flushing = asyncio.Lock()
        budget = settings.monthly_read_budget
        QBO_READ_BUDGET.labels("budget").set(budget)
        QBO_READ_BUDGET.labels("soft").set(self.soft_limit or 0)
        QBO_READ_BUDGET.labels("hard").set(self.hard_limit or 0)

    @property
    def soft_limit(self) -> int | None:
        budget = self._settings.monthly_read_budget
        return int(budget * self._settings.read_soft_share) if budget else None

    @property
    def hard_limit(self) -> int | None:
        budget = self._settings.monthly_read_budget
        return int(budget * self._settings.read_hard_share) if budget else None

    def meter(self, organization_id: int | None) -> ReadMeter:
        return _OrganizationMeter(self, organization_id or NO_ORGANIZATION)

    def _roll(self) -> date:
        month = month_of(self._clock())
        if month != self._month:
            self._month, self._shared, self._unflushed = month, 0, 0
        return month

    @property
    def used(self) -> int:
        """The month's reads as far as this process knows."""
        self._roll()
        return self._shared + self._unflushed

    def state(self, used: int | None = None) -> BudgetState:
        used = self.used if used is None else used
        hard, soft = self.hard_limit, self.soft_limit
        if hard is not None and used >= hard:
            return BudgetState.HARD
        if soft is not None and used >= soft:
            return BudgetState.SOFT
        return BudgetState.OK

    def admit(self, purpose: ReadPurpose) -> None:
        state = self.state()
        if allows(state, purpose):
            return
        QBO_READS_DEFERRED.labels(purpose.value).inc()
        raise QuickBooksReadDeferred(
            f"this month's QuickBooks read budget is past its {state.value} threshold "
            f"({self.used} of {self._settings.monthly_read_budget}); "
            f"{purpose.value} reads wait for next month"
        )

    def spent(self, organization_id: int, kind: str, count: int, purpose: ReadPurpose) -> None:
        month = self._roll()
        key = (month, organization_id, kind)
        self._pending[key] = self._pending.get(key, 0) + count
        self._unflushed += count
        QBO_BILLABLE_READS.labels(str(organization_id), kind, purpose.value).inc(count)

    async def flush(self, sessionmaker: async_sessionmaker[AsyncSession]) -> int:
        """Add this process's reads to the table; returns the month's total for everyone."""
        async with self._flushing:
            return await self._flush(sessionmaker)

    async def _flush(self, sessionmaker: async_sessionmaker[AsyncSession]) -> int:
        pending, self._pending = self._pending, {}
        month = self._roll()
        flushed = sum(n for (m, _, _), n in pending.items() if m == month)
        try:
            async with sessionmaker.begin() as session:
                await repository.add_reads(session, pending)
                total = await repository.month_total(session, month)
        except BaseException:
            for key, count in pending.items():  # counted again at the next flush
                self._pending[key] = self._pending.get(key, 0) + count
            raise
        if month == self._roll():
            self._shared = total
            self._unflushed = max(0, self._unflushed - flushed)
        QBO_READS_MONTH.set(self.used)
        return total

    async def run(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        """Flush forever, every ``read_flush_s``; a failed flush keeps its counts for the next."""
        while True:
            try:
                await self.flush(sessionmaker)
            except (OSError, SQLAlchemyError) as exc:
                log.warning(
                    "read usage not saved; kept for the next try", extra={"error": str(exc)}
                )
            await asyncio.sleep(self._settings.read_flush_s)
