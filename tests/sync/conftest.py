"""Engine fixtures: a connected organization in the emulator, Aforo data in the stubs."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.aforo.base import AforoRetry
from qbsync.config import Settings
from qbsync.connections.models import ConnectionStatus, QuickBooksConnection
from qbsync.emulator.aforo_stubs import (
    AforoStubControl,
    StubCustomer,
    StubInvoice,
    StubInvoiceLine,
    StubPayment,
    StubRatePlan,
)
from qbsync.emulator.control import EmulatorControl
from qbsync.resources import Resources, build_aforo_clients, open_resources
from qbsync.sync.context import SyncDeps
from qbsync.sync.models import SyncLog

T = TypeVar("T")

FAST_RETRY = AforoRetry(max_attempts=4, initial_s=0.02, max_backoff_s=0.1, max_delay_s=2.0)


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    async with open_resources(settings, connect_amqp=False) as opened:
        yield opened


@pytest.fixture
def deps(resources: Resources) -> SyncDeps:
    aforo = build_aforo_clients(resources.settings, resources.aforo_http, retry=FAST_RETRY)
    return SyncDeps(qbo=resources.qbo, aforo=aforo)


@dataclass(frozen=True)
class Org:
    organization_id: int
    realm_id: str


@pytest.fixture
async def org(
    resources: Resources,
    emulator_control: EmulatorControl,
    sessionmaker: async_sessionmaker[AsyncSession],
    org_id: int,
) -> Org:
    """An organization connected to a fresh emulated company."""
    realm = await emulator_control.create_realm(company_name=f"Org {org_id} Ltd")
    tokens = await emulator_control.issue_tokens(realm.realm_id)
    now = datetime.now(UTC)
    async with sessionmaker.begin() as session:
        session.add(
            QuickBooksConnection(
                organization_id=org_id,
                realm_id=realm.realm_id,
                environment="sandbox",
                company_name=realm.company_name,
                status=ConnectionStatus.ACTIVE,
                access_token_encrypted=resources.cipher.encrypt(tokens.access_token),
                refresh_token_encrypted=resources.cipher.encrypt(tokens.refresh_token),
                access_token_expires_at=now + timedelta(seconds=tokens.expires_in),
                refresh_token_expires_at=now + timedelta(days=100),
                connected_at=now,
                last_refreshed_at=now,
                settings={},
            )
        )
    return Org(org_id, realm.realm_id)


def new_id() -> int:
    return random.randint(1_000_000, 2**31)


class AforoData:
    """Writes records into the Aforo stubs the way the real services would hold them."""

    def __init__(self, stubs: AforoStubControl, org: Org) -> None:
        self.stubs = stubs
        self.org = org

    async def customer(self, **fields: Any) -> StubCustomer:
        customer = StubCustomer(
            customer_id=fields.pop("customer_id", new_id()),
            organization_id=self.org.organization_id,
            status="ACTIVE",
            **{"customer_name": "Acme Corp", "primary_email": "billing@acme.example", **fields},
        )
        await self.stubs.put_customer(self.org.organization_id, customer)
        return customer

    async def rate_plan(self, name: str = "Pro Plan") -> StubRatePlan:
        plan = StubRatePlan(
            rate_plan_id=new_id(), organization_id=self.org.organization_id, rate_plan_name=name
        )
        await self.stubs.put_rate_plan(plan)
        return plan

    async def invoice(
        self, customer: StubCustomer, *, lines: list[tuple[str, str]] | None = None, **fields: Any
    ) -> StubInvoice:
        amounts = lines or [("Flat Fee", "200.00"), ("Overage Charges", "10.00")]
        items = [
            StubInvoiceLine(
                id=new_id(), line_number=n, description=d, calculation="Base", amount=Decimal(a)
            )
            for n, (d, a) in enumerate(amounts, start=1)
        ]
        invoice_id = fields.pop("id", new_id())
        invoice = StubInvoice(
            id=invoice_id,
            organization_id=self.org.organization_id,
            customer_id=customer.customer_id,
            invoice_number=fields.pop("invoice_number", f"INV-{invoice_id:x}"[:21].upper()),
            total_amount=sum((item.amount for item in items), Decimal(0)),
            billing_period_start=datetime(2026, 10, 1, tzinfo=UTC),
            billing_period_end=datetime(2026, 10, 31, 23, 59, tzinfo=UTC),
            created_at=datetime(2026, 11, 1, 0, 10, tzinfo=UTC),
            updated_at=datetime(2026, 11, 1, 0, 10, tzinfo=UTC),
            line_items=items,
            **fields,
        )
        await self.stubs.put_invoice(invoice)
        return invoice

    async def payment(self, invoice: StubInvoice, amount: str, **fields: Any) -> StubPayment:
        payment = StubPayment(
            id=fields.pop("id", f"PAY-{new_id()}"),
            organization_id=self.org.organization_id,
            customer_id=invoice.customer_id,
            invoice_id=invoice.id,
            amount=Decimal(amount),
            paid_at=datetime(2026, 11, 5, 12, 0, tzinfo=UTC),
            **fields,
        )
        await self.stubs.put_payment(payment)
        return payment


@pytest.fixture
def aforo(stubs: AforoStubControl, org: Org) -> AforoData:
    return AforoData(stubs, org)


@pytest.fixture
def run(
    sessionmaker: async_sessionmaker[AsyncSession], deps: SyncDeps
) -> Callable[..., Awaitable[Any]]:
    """Run an engine entry point in its own committed unit of work, as a boundary does."""

    async def runner(entry: Callable[..., Awaitable[T]], **kwargs: Any) -> T:
        async with sessionmaker.begin() as session:
            return await entry(session, deps, **kwargs)

    return runner


@pytest.fixture
def logs(
    sessionmaker: async_sessionmaker[AsyncSession], org: Org
) -> Callable[..., Awaitable[list[SyncLog]]]:
    async def fetch(entity_type: str | None = None, aforo_id: str | None = None) -> list[SyncLog]:
        query = select(SyncLog).where(SyncLog.organization_id == org.organization_id)
        if entity_type:
            query = query.where(SyncLog.entity_type == entity_type)
        if aforo_id:
            query = query.where(SyncLog.aforo_id == aforo_id)
        async with sessionmaker() as session:
            return list(await session.scalars(query.order_by(SyncLog.id)))

    return fetch
