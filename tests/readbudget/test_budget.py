"""The shared monthly count: processes add to it, read everyone's total, and a new month
starts from zero; the operators' view of it."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from qbsync.config import QuickBooksSettings
from qbsync.quickbooks.reads import BudgetState, ReadPurpose
from qbsync.readbudget.budget import ReadBudget, forecast
from tests.tokens import auth_headers, make_jwt


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def _far_month() -> datetime:
    # A month of its own, so that reads other tests count do not add to this one's.
    return datetime(random.randint(2100, 2900), random.randint(1, 12), 10, tzinfo=UTC)


class TestSharedCount:
    async def test_two_processes_add_up_and_see_each_others_reads(self, sessionmaker) -> None:
        clock = Clock(_far_month())
        settings = QuickBooksSettings(monthly_read_budget=100, read_soft_share=0.1)
        one, two = ReadBudget(settings, clock=clock), ReadBudget(settings, clock=clock)
        one.meter(1).spent("query", 4, ReadPurpose.WRITE)
        two.meter(2).spent("read", 3, ReadPurpose.PERSON)
        two.meter(1).spent("query", 1, ReadPurpose.WRITE)
        assert one.state() is BudgetState.OK  # 4 of 10 before anyone flushed
        assert await one.flush(sessionmaker) == 4
        assert await two.flush(sessionmaker) == 8
        assert await one.flush(sessionmaker) == 8
        assert one.used == two.used == 8
        # 8 is still under the soft threshold of 10; two more anywhere crosses it.
        two.meter(3).spent("pdf", 2, ReadPurpose.PERSON)
        await two.flush(sessionmaker)
        await one.flush(sessionmaker)
        assert one.state() is BudgetState.SOFT

    async def test_a_new_month_starts_from_zero(self, sessionmaker) -> None:
        start = _far_month()
        clock = Clock(start)
        budget = ReadBudget(QuickBooksSettings(monthly_read_budget=10), clock=clock)
        budget.meter(1).spent("query", 9, ReadPurpose.WRITE)
        await budget.flush(sessionmaker)
        assert budget.state() is BudgetState.HARD
        clock.moment = start.replace(year=start.year + 1)
        assert budget.used == 0
        assert await budget.flush(sessionmaker) == 0
        assert budget.state() is BudgetState.OK

    async def test_no_budget_never_defers(self) -> None:
        budget = ReadBudget(QuickBooksSettings(monthly_read_budget=0))
        budget.meter(1).spent("query", 10**9, ReadPurpose.WRITE)
        budget.admit(ReadPurpose.OPTIONAL)
        assert budget.state() is BudgetState.OK


def test_forecast_extrapolates_the_month_so_far() -> None:
    halfway = datetime(2026, 4, 16, tzinfo=UTC)  # 15 of 30 days gone
    assert forecast(1000, now=halfway) == 2000


class TestOperatorRoute:
    async def test_month_use_forecast_and_organizations(self, client, app, org_id) -> None:
        reads = app.state.resources.reads
        reads.meter(org_id).spent("query", 3, ReadPurpose.WRITE)
        reads.meter(org_id).spent("pdf", 1, ReadPurpose.PERSON)
        operator = {"Authorization": f"Bearer {make_jwt(None, roles=['QBSYNC_OPERATOR'])}"}
        answer = await client.get(
            "/api/quickbooks/read-budget", params={"organizationId": org_id}, headers=operator
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["budget"] == 500_000
        assert body["softThreshold"] == 400_000
        assert body["hardThreshold"] == 475_000
        assert body["used"] >= 4, body
        assert body["state"] == "ok"
        assert body["forecast"] >= body["used"]
        assert body["organizations"] == [
            {"organizationId": org_id, "reads": 4, "byKind": {"pdf": 1, "query": 3}}
        ]

    async def test_tenants_do_not_see_it(self, client, org_id) -> None:
        answer = await client.get("/api/quickbooks/read-budget", headers=auth_headers(org_id))
        assert answer.status_code == 403
