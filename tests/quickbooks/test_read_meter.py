"""Which calls count as billable reads, and a spent budget holding back reads, never writes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from qbo_emulator.app import create_emulator_app
from qbo_emulator.control import EmulatorControl
from qbo_emulator.server import serve_in_thread
from qbsync.quickbooks.batch import BatchItem
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.errors import QuickBooksNotFound, QuickBooksReadDeferred
from qbsync.quickbooks.limiter import RealmLimiter
from qbsync.quickbooks.query import Q
from qbsync.quickbooks.reads import ReadPurpose, reads_for
from qbsync.quickbooks.schemas import Customer, Invoice
from qbsync.readbudget.budget import ReadBudget

from .emulated import CONFIG, EmulatorTokens, emulator_settings, invoice_for, service_item


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    with serve_in_thread(create_emulator_app(CONFIG)) as base_url:
        yield base_url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


@pytest.fixture
def control(emulator_url: str, http: httpx.AsyncClient) -> EmulatorControl:
    return EmulatorControl(emulator_url, http)


class Recording:
    """A ReadMeter that remembers every billable read and lets everything through."""

    def __init__(self) -> None:
        self.reads: list[tuple[str, int, ReadPurpose]] = []

    def admit(self, purpose: ReadPurpose) -> None:
        pass

    def spent(self, kind: str, count: int, purpose: ReadPurpose) -> None:
        self.reads.append((kind, count, purpose))


async def _client(control, http, emulator_url, meter, **settings) -> QuickBooksClient:  # type: ignore[no-untyped-def]
    realm = await control.create_realm()
    issued = await control.issue_tokens(realm.realm_id)
    tokens = EmulatorTokens(http, emulator_url, issued.access_token, issued.refresh_token)
    return QuickBooksClient(
        http,
        realm_id=realm.realm_id,
        tokens=tokens,
        settings=emulator_settings(emulator_url, **settings),
        limiter=RealmLimiter(10, 10_000, per_second=10_000, throttle_pause_s=0),
        reads=meter,
    )


class TestWhatIsBillable:
    async def test_writes_are_free_and_each_kind_of_read_is_counted(
        self, control, http, emulator_url
    ) -> None:
        meter = Recording()
        qbo = await _client(control, http, emulator_url, meter)
        item = await service_item(qbo)
        customer = await qbo.create(Customer(display_name="Acme"), request_id="c-1")
        assert item.id
        assert customer.id
        invoice = await qbo.create(invoice_for(customer.id, item.id, "INV-1"), request_id="i-1")
        await qbo.update(
            Customer(id=customer.id, sync_token="0", notes="n"), request_id="c-1-update"
        )
        [result] = await qbo.batch(
            [BatchItem.create("b1", Customer(display_name="Batched"))], request_id="batch-1"
        )
        assert result.ok
        assert meter.reads == [], "creates, updates and batch writes cost nothing"

        assert invoice.id is not None
        await qbo.read(Invoice, invoice.id)
        await qbo.query(Customer, Q.eq("DisplayName", "Acme"))
        await qbo.invoice_pdf(invoice.id)
        with reads_for(ReadPurpose.PERSON):
            await qbo.batch(
                [
                    BatchItem.select("q1", Customer),
                    BatchItem.select("q2", Invoice),
                    BatchItem.create("w1", Customer(display_name="Batched 2")),
                ],
                request_id="batch-2",
            )
        with pytest.raises(QuickBooksNotFound):
            await qbo.read(Invoice, "99999")  # a failed read is not billed
        assert meter.reads == [
            ("read", 1, ReadPurpose.WRITE),
            ("query", 1, ReadPurpose.WRITE),
            ("pdf", 1, ReadPurpose.WRITE),
            ("query", 2, ReadPurpose.PERSON),
        ]


class TestBudgetThresholds:
    async def test_soft_defers_optional_hard_keeps_only_write_reads_writes_always_pass(
        self, control, http, emulator_url
    ) -> None:
        settings = emulator_settings(
            emulator_url, monthly_read_budget=10, read_soft_share=0.3, read_hard_share=0.5
        )
        budget = ReadBudget(settings)
        qbo = await _client(
            control,
            http,
            emulator_url,
            budget.meter(7),
            monthly_read_budget=10,
            read_soft_share=0.3,
            read_hard_share=0.5,
        )
        for _ in range(3):
            await qbo.query(Customer)
        assert budget.used == 3
        with reads_for(ReadPurpose.OPTIONAL), pytest.raises(QuickBooksReadDeferred):
            await qbo.query(Customer)
        with reads_for(ReadPurpose.PERSON):
            await qbo.query(Customer)
            await qbo.query(Customer)
        assert budget.used == 5
        with reads_for(ReadPurpose.PERSON), pytest.raises(QuickBooksReadDeferred):
            await qbo.query(Customer)
        await qbo.query(Customer)  # a write needs it
        created = await qbo.create(Customer(display_name="Still written"), request_id="c-9")
        assert created.id is not None
        assert budget.used == 6
        log = await control.requests(qbo.realm_id)
        assert sum(1 for entry in log if entry.path.endswith("/query")) == 6, (
            "deferred reads are never sent"
        )
