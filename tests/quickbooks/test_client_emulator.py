"""The client against the real emulator over HTTP: round trips and every error it can produce."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import httpx
import pytest

from qbo_emulator.app import create_emulator_app
from qbo_emulator.config import EmulatorConfig
from qbo_emulator.control import EmulatorControl
from qbo_emulator.server import serve_in_thread
from qbsync.quickbooks.batch import BatchItem
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.errors import (
    QuickBooksAuthError,
    QuickBooksDuplicateDocNumber,
    QuickBooksDuplicateName,
    QuickBooksNotFound,
    QuickBooksStaleObject,
    QuickBooksThrottled,
    QuickBooksUnavailable,
    QuickBooksValidationError,
)
from qbsync.quickbooks.limiter import RealmLimiter
from qbsync.quickbooks.query import Q
from qbsync.quickbooks.schemas import Customer, Invoice, LinkedTxn, Payment, PaymentLine, Ref

from .emulated import (
    CONFIG,
    EmulatorTokens,
    RevokedTokens,
    emulator_client,
    emulator_settings,
    held_named,
    invoice_for,
    service_item,
)


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


@pytest.fixture
async def realm_id(control: EmulatorControl) -> str:
    """A fresh sandbox company per test, so tests never see each other's records."""
    return (await control.create_realm()).realm_id


@pytest.fixture
async def tokens(
    control: EmulatorControl, http: httpx.AsyncClient, emulator_url: str, realm_id: str
) -> EmulatorTokens:
    issued = await control.issue_tokens(realm_id)
    return EmulatorTokens(http, emulator_url, issued.access_token, issued.refresh_token)


@pytest.fixture
def qbo(
    http: httpx.AsyncClient, realm_id: str, tokens: EmulatorTokens, emulator_url: str
) -> QuickBooksClient:
    return emulator_client(http, realm_id, tokens, emulator_settings(emulator_url))


class TestRoundTrips:
    async def test_customer_lifecycle(self, qbo: QuickBooksClient) -> None:
        name = "O'Brien & Sons \\ Ltd \u201924"
        created = await qbo.create(
            Customer(display_name=name, notes="aforo cust-1"), request_id="cust-1-v1"
        )
        assert created.id is not None
        assert created.sync_token == "0"
        assert qbo.last_intuit_tid

        read = await qbo.read(Customer, created.id)
        assert read.display_name == name

        updated = await qbo.update(
            Customer(id=created.id, sync_token="0", notes="changed"), request_id="cust-1-v2"
        )
        assert updated.sync_token == "1"
        assert updated.display_name == name  # sparse: untouched fields stay

        [found] = await qbo.query(Customer, Q.eq("DisplayName", name))
        assert found.id == created.id
        assert await qbo.count(Customer, Q.eq("DisplayName", name)) == 1

        deactivated = await qbo.deactivate(Customer, created.id, "1", request_id="cust-1-off")
        assert deactivated.active is False
        assert await qbo.query(Customer, Q.eq("DisplayName", name)) == []
        inactive = Q.eq("DisplayName", name) & Q.in_("Active", [True, False])
        assert [c.id for c in await qbo.query(Customer, inactive)] == [created.id]

    async def test_invoice_payment_pdf_void_delete(self, qbo: QuickBooksClient) -> None:
        item = await service_item(qbo)
        customer = await qbo.create(Customer(display_name="Acme"), request_id="cust-acme")
        assert item.id is not None
        assert customer.id is not None
        invoice = await qbo.create(invoice_for(customer.id, item.id, "INV-1"), request_id="inv-1")
        assert invoice.id is not None
        assert invoice.total_amt == Decimal("100.00")
        assert invoice.balance == Decimal("100.00")

        pdf = await qbo.invoice_pdf(invoice.id)
        assert pdf.startswith(b"%PDF")

        payment = await qbo.create(
            Payment(
                customer_ref=Ref(value=customer.id),
                total_amt=Decimal("40.25"),
                line=[
                    PaymentLine(
                        amount=Decimal("40.25"),
                        linked_txn=[LinkedTxn(txn_id=invoice.id, txn_type="Invoice")],
                    )
                ],
            ),
            request_id="pay-1",
        )
        assert payment.id is not None
        assert payment.sync_token is not None
        after_payment = await qbo.read(Invoice, invoice.id)
        assert after_payment.balance == Decimal("59.75")

        voided_payment = await qbo.void_payment(payment.id, payment.sync_token, request_id="v-p1")
        assert voided_payment.total_amt == 0
        after_void = await qbo.read(Invoice, invoice.id)
        assert after_void.balance == Decimal("100.00")
        assert after_void.sync_token is not None

        voided = await qbo.void_invoice(invoice.id, after_void.sync_token, request_id="v-inv-1")
        assert voided.total_amt == 0

        other = await qbo.create(invoice_for(customer.id, item.id, "INV-2"), request_id="inv-2")
        assert other.id is not None
        deleted = await qbo.delete(Invoice, other.id, "0", request_id="del-inv-2")
        assert deleted.status == "Deleted"
        with pytest.raises(QuickBooksNotFound):
            await qbo.read(Invoice, other.id)

    async def test_paging(
        self, qbo: QuickBooksClient, control: EmulatorControl, realm_id: str
    ) -> None:
        for n in range(5):
            await qbo.create(Customer(display_name=f"Paged {n}"), request_id=f"paged-{n}")
        found = await qbo.query(Customer, Q.like("DisplayName", "Paged%"), page_size=2)
        assert sorted(c.display_name or "" for c in found) == [f"Paged {n}" for n in range(5)]
        queries = [r for r in await control.requests(realm_id) if r.path.endswith("/query")]
        assert len(queries) == 3

    async def test_batch(self, qbo: QuickBooksClient) -> None:
        taken = await qbo.create(Customer(display_name="Taken"), request_id="taken")
        assert taken.id is not None
        results = await qbo.batch(
            [
                BatchItem.create("c1", Customer(display_name="Batch New")),
                BatchItem.create("c2", Customer(display_name="Taken")),
                BatchItem.update("u3", Customer(id=taken.id, sync_token="9", notes="x")),
                BatchItem.select("q4", Customer, Q.eq("DisplayName", "Taken")),
            ],
            request_id="batch-1",
        )
        assert isinstance(results[0].entity, Customer)
        assert results[0].entity.display_name == "Batch New"
        assert isinstance(results[1].error, QuickBooksDuplicateName)
        assert isinstance(results[2].error, QuickBooksStaleObject)
        page = results[3].query_response
        assert page is not None
        assert [c.id for c in page.customer or []] == [taken.id]

    async def test_company(self, qbo: QuickBooksClient) -> None:
        info = await qbo.company_info()
        assert info.company_name
        prefs = await qbo.preferences()
        assert prefs.currency_prefs is not None
        assert prefs.currency_prefs.home_currency == Ref(value="USD")


class TestFaults:
    async def test_duplicate_name(self, qbo: QuickBooksClient) -> None:
        await qbo.create(Customer(display_name="Twice"), request_id="twice-1")
        with pytest.raises(QuickBooksDuplicateName) as caught:
            await qbo.create(Customer(display_name="Twice"), request_id="twice-2")
        assert caught.value.fault_code == "6240"
        assert caught.value.intuit_tid == qbo.last_intuit_tid

    async def test_duplicate_doc_number(self, qbo: QuickBooksClient) -> None:
        item = await service_item(qbo)
        customer = await qbo.create(Customer(display_name="Doc"), request_id="cust-doc")
        assert item.id is not None
        assert customer.id is not None
        await qbo.create(invoice_for(customer.id, item.id, "DUP-1"), request_id="dup-1")
        with pytest.raises(QuickBooksDuplicateDocNumber):
            await qbo.create(invoice_for(customer.id, item.id, "DUP-1"), request_id="dup-2")

    async def test_stale_sync_token(self, qbo: QuickBooksClient) -> None:
        created = await qbo.create(Customer(display_name="Stale"), request_id="stale-0")
        assert created.id is not None
        await qbo.update(Customer(id=created.id, sync_token="0", notes="a"), request_id="s-1")
        with pytest.raises(QuickBooksStaleObject):
            await qbo.update(Customer(id=created.id, sync_token="0", notes="b"), request_id="s-2")

    async def test_not_found(self, qbo: QuickBooksClient) -> None:
        with pytest.raises(QuickBooksNotFound) as caught:
            await qbo.read(Customer, "987654")
        assert caught.value.fault_code == "610"

    async def test_validation(
        self, qbo: QuickBooksClient, control: EmulatorControl, realm_id: str
    ) -> None:
        with pytest.raises(QuickBooksValidationError) as caught:
            await qbo.create(Customer(display_name="x" * 501), request_id="long-name")
        assert caught.value.fault_code == "2050"
        assert caught.value.element == "DisplayName"
        assert not caught.value.retryable
        assert len(await control.requests(realm_id)) == 1  # not retried

    @pytest.mark.parametrize("kind", ["throttle", "http_503", "http_500"])
    async def test_transient_fault_is_retried_with_same_requestid(
        self, qbo: QuickBooksClient, control: EmulatorControl, realm_id: str, kind: str
    ) -> None:
        await control.queue_fault(kind, realm_id=realm_id, method="POST")  # type: ignore[arg-type]
        created = await qbo.create(Customer(display_name=f"After {kind}"), request_id="t-1")
        assert created.id is not None
        posts = [r for r in await control.requests(realm_id) if r.method == "POST"]
        assert [r.requestid for r in posts] == ["t-1", "t-1"]
        assert posts[0].fault == kind

    async def test_throttled_every_time(
        self, qbo: QuickBooksClient, control: EmulatorControl, realm_id: str
    ) -> None:
        await control.queue_fault("throttle", realm_id=realm_id, count=3)
        with pytest.raises(QuickBooksThrottled) as caught:
            await qbo.read(Customer, "1")
        assert caught.value.fault_code == "3001"
        assert caught.value.http_status == 429

    async def test_timeout_is_retried_with_same_requestid(
        self, control: EmulatorControl, realm_id: str, tokens: EmulatorTokens, emulator_url: str
    ) -> None:
        await control.queue_fault("timeout", realm_id=realm_id, method="POST")
        async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=0.3)) as impatient:
            qbo = emulator_client(impatient, realm_id, tokens, emulator_settings(emulator_url))
            await qbo.create(Customer(display_name="Slow"), request_id="slow-1")
        posts = [r for r in await control.requests(realm_id) if r.method == "POST"]
        assert [r.requestid for r in posts] == ["slow-1", "slow-1"]
        assert await held_named(control, realm_id, "Slow") == 1

    async def test_lost_response_lands_once(
        self, qbo: QuickBooksClient, control: EmulatorControl, realm_id: str
    ) -> None:
        # The write is committed, then the connection drops: the retry with the same
        # requestid gets the original answer instead of writing a second customer.
        await control.queue_fault("lost_response", realm_id=realm_id, method="POST")
        created = await qbo.create(Customer(display_name="Once"), request_id="once-1")
        assert created.display_name == "Once"
        assert await held_named(control, realm_id, "Once") == 1

    async def test_unavailable_when_the_emulator_keeps_failing(
        self, qbo: QuickBooksClient, control: EmulatorControl, realm_id: str
    ) -> None:
        await control.queue_fault("http_503", realm_id=realm_id, count=3)
        with pytest.raises(QuickBooksUnavailable):
            await qbo.read(Customer, "1")


class TestAuth:
    async def test_expired_token_is_refreshed_once(
        self,
        qbo: QuickBooksClient,
        control: EmulatorControl,
        realm_id: str,
        tokens: EmulatorTokens,
    ) -> None:
        await control.expire_tokens(realm_id)
        created = await qbo.create(Customer(display_name="Fresh"), request_id="fresh-1")
        assert created.id is not None
        assert tokens.refreshes == 1
        posts = [r for r in await control.requests(realm_id) if r.method == "POST"]
        assert [r.requestid for r in posts] == ["fresh-1"]  # the 401 never reached the realm

    async def test_second_401_is_an_auth_error(
        self, control: EmulatorControl, realm_id: str, http: httpx.AsyncClient, emulator_url: str
    ) -> None:
        issued = await control.issue_tokens(realm_id)
        tokens = RevokedTokens(http, emulator_url, issued.access_token, issued.refresh_token)
        qbo = emulator_client(http, realm_id, tokens, emulator_settings(emulator_url))
        await control.expire_tokens(realm_id)
        with pytest.raises(QuickBooksAuthError) as caught:
            await qbo.read(Customer, "1")
        assert caught.value.is_token_problem
        assert caught.value.fault_code == "3200"
        assert tokens.refreshes == 1

    async def test_wrong_cluster_is_not_refreshed(
        self, http: httpx.AsyncClient, realm_id: str, tokens: EmulatorTokens, emulator_url: str
    ) -> None:
        production = emulator_settings(emulator_url, api_base_url=emulator_url)
        qbo = emulator_client(http, realm_id, tokens, production)
        with pytest.raises(QuickBooksAuthError) as caught:
            await qbo.read(Customer, "1")
        assert caught.value.fault_code == "130"
        assert not caught.value.is_token_problem
        assert tokens.refreshes == 0


class TestLimits:
    async def test_matching_limits_never_trigger_429(self, http: httpx.AsyncClient) -> None:
        config = EmulatorConfig(max_in_flight=3, requests_per_minute=100, latency_ms=(5, 20))
        with serve_in_thread(create_emulator_app(config)) as url:
            control = EmulatorControl(url, http)
            realm = (await control.create_realm()).realm_id
            issued = await control.issue_tokens(realm)
            tokens = EmulatorTokens(http, url, issued.access_token, issued.refresh_token)
            # One attempt only: a single 429 would fail the test.
            settings = emulator_settings(url, max_attempts=1)
            limiter = RealmLimiter(3, 100, per_second=100)
            qbo = emulator_client(http, realm, tokens, settings, limiter)
            await asyncio.gather(*(qbo.preferences() for _ in range(12)))
            log = await control.requests(realm)
        assert len(log) == 12
        assert all(entry.status == 200 for entry in log)
        assert not any(entry.fault == "throttle" for entry in log)
