"""ConsumerRunner outcomes on the real broker: ack, delayed retry, park, poison messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel

from qbsync.aforo.errors import AforoNotReady
from qbsync.config import AmqpSettings
from qbsync.errors import DependencyUnavailable, NotFound
from qbsync.events import headers as h
from qbsync.events.connection import AmqpConnector
from qbsync.events.publisher import Publisher
from qbsync.events.runner import MessageContext, message_context
from qbsync.events.schemas import CustomerActivated, Event, InvoiceCreated
from qbsync.metrics import REGISTRY
from tests.events.conftest import RunnerFactory, SettingsFactory
from tests.events.support import (
    ListRecorder,
    ScriptedHandler,
    assert_all_acked,
    drain,
    message_count,
    spring_message,
    wait_until,
)

INVOICE_TYPE_ID = "aforo.metering.event.InvoiceCreatedEvent"


async def publish_json(
    channel: AbstractChannel, settings: AmqpSettings, key: str, body: bytes, **props: object
) -> None:
    exchange = await channel.get_exchange(settings.exchange)
    await exchange.publish(aio_pika.Message(body, **props), key)  # type: ignore[arg-type]


class TestHandled:
    async def test_spring_amqp_message_reaches_the_handler_and_is_acked(
        self, make_runner: RunnerFactory, admin: AbstractChannel, amqp_settings: AmqpSettings
    ) -> None:
        handler = ScriptedHandler()
        runner = await make_runner(handler)
        body = (
            b'{"invoiceId":123,"organizationId":9,"customerId":9,"subscriptionId":3,'
            b'"ratePlanId":4,"invoiceNumber":"INV-M3X2K9","totalAmount":210.00,'
            b'"billingPeriodStart":1730419200.000000000,'
            b'"billingPeriodEnd":1732147200.123456789,"createdAt":1732147200.123456789}'
        )
        exchange = await admin.get_exchange(amqp_settings.exchange)
        await exchange.publish(spring_message(body, INVOICE_TYPE_ID), "invoice.created")

        await wait_until(lambda: len(handler.calls) == 1, "handler called")
        [call] = handler.calls
        assert call.event == InvoiceCreated(
            invoice_id=123,
            organization_id=9,
            customer_id=9,
            subscription_id=3,
            rate_plan_id=4,
            invoice_number="INV-M3X2K9",
            total_amount=Decimal("210.00"),
            billing_period_start=datetime(2024, 11, 1, tzinfo=UTC),
            billing_period_end=datetime(2024, 11, 21, 0, 0, 0, 123456, tzinfo=UTC),
            created_at=datetime(2024, 11, 21, 0, 0, 0, 123456, tzinfo=UTC),
        )
        assert call.ctx.attempt == 1
        assert call.ctx.routing_key == "invoice.created"
        assert call.ctx.queue == amqp_settings.work_queue("invoice.created")
        assert not call.ctx.redelivered
        assert call.ctx.correlation_id  # Spring sets no message id: one is made up
        await runner.stop(grace_s=2)
        await assert_all_acked(make_runner, admin, amqp_settings.work_queue("invoice.created"))

    async def test_the_same_event_twice_reaches_the_handler_twice(
        self, make_runner: RunnerFactory, publisher: Publisher
    ) -> None:
        # Delivery is at least once; telling duplicates apart is the engine's idempotency.
        handler = ScriptedHandler()
        await make_runner(handler)
        event = CustomerActivated(customer_id=5, organization_id=6, event_id="evt-dup")
        await publisher.publish(event)
        await publisher.publish(event)
        await wait_until(lambda: len(handler.calls) == 2, "both deliveries handled")
        assert [c.event for c in handler.calls] == [event, event]
        assert {c.ctx.correlation_id for c in handler.calls} == {"evt-dup"}


class TestRetry:
    async def test_transient_failure_then_success_after_the_delay(
        self,
        make_runner: RunnerFactory,
        publisher: Publisher,
        admin: AbstractChannel,
        amqp_settings: AmqpSettings,
    ) -> None:
        async def flaky(_event: Event, ctx: MessageContext) -> None:
            if ctx.attempt == 1:
                raise DependencyUnavailable("metering answered 503")

        handler = ScriptedHandler(flaky)
        recorder = ListRecorder()
        await make_runner(handler, recorder)
        await publisher.publish(
            CustomerActivated(customer_id=1, organization_id=2), trigger="BACKFILL"
        )

        await wait_until(lambda: len(handler.calls) == 2, "retried once")
        first, second = handler.calls
        assert (first.ctx.attempt, second.ctx.attempt) == (1, 2)
        assert second.ctx.received_at - first.ctx.received_at >= timedelta(seconds=0.2)
        assert second.ctx.correlation_id == first.ctx.correlation_id
        assert second.ctx.routing_key == "customer.activated"
        assert second.ctx.trigger == "BACKFILL"
        [outcome] = recorder.outcomes
        assert outcome.status == "RETRYING"
        assert outcome.reason == "retry_scheduled"
        assert (outcome.attempts, outcome.next_delay_s) == (1, 0.2)
        assert (outcome.code, outcome.category) == ("dependency_unavailable", "TRANSIENT")
        assert (outcome.entity_type, outcome.entity_id, outcome.organization_id) == (
            "CUSTOMER",
            "1",
            2,
        )
        assert await message_count(admin, amqp_settings.parking_queue) == 0

    async def test_attempts_exhausted_parks_with_reason_and_count(
        self,
        make_runner: RunnerFactory,
        publisher: Publisher,
        admin: AbstractChannel,
        amqp_settings: AmqpSettings,
    ) -> None:
        async def down(_event: Event, _ctx: MessageContext) -> None:
            raise DependencyUnavailable("payment service down")

        handler = ScriptedHandler(down)
        recorder = ListRecorder()
        await make_runner(handler, recorder)
        message_id = await publisher.publish(CustomerActivated(customer_id=3, organization_id=4))

        [parked] = await drain(admin, amqp_settings.parking_queue, 1)
        assert [c.ctx.attempt for c in handler.calls] == [1, 2, 3]  # two delays, three tries
        assert parked.headers[h.PARK_REASON] == "attempts_exhausted"
        assert parked.headers[h.ATTEMPTS] == 3
        assert parked.headers[h.ERROR_CODE] == "dependency_unavailable"
        assert parked.headers[h.ERROR_CATEGORY] == "TRANSIENT"
        assert parked.headers[h.ERROR_MESSAGE] == "payment service down"
        assert parked.headers[h.SOURCE_QUEUE] == amqp_settings.work_queue("customer.activated")
        assert parked.headers[h.ROUTING_KEY] == "customer.activated"
        assert parked.headers[h.ORIGINAL_MESSAGE_ID] == message_id
        parked_at = datetime.fromisoformat(str(parked.headers[h.PARKED_AT]))
        assert parked_at.tzinfo is not None
        assert "x-death" not in parked.headers
        assert parked.body == b'{"organizationId":4,"customerId":3}'
        assert [(o.status, o.attempts) for o in recorder.outcomes] == [
            ("RETRYING", 1),
            ("RETRYING", 2),
            ("FAILED", 3),
        ]
        assert recorder.outcomes[-1].reason == "attempts_exhausted"

    async def test_an_error_with_a_retry_budget_is_parked_when_it_is_spent(
        self,
        make_runner: RunnerFactory,
        connector: AmqpConnector,
        admin: AbstractChannel,
        settings_factory: SettingsFactory,
    ) -> None:
        settings = settings_factory(retry_delays_s=[0.1, 0.1, 0.1, 0.1, 0.1])
        publisher = Publisher(connector, settings)

        async def unknown(_event: Event, _ctx: MessageContext) -> None:
            raise AforoNotReady("invoice 5: not found", service="metering", upstream_status=404)

        handler = ScriptedHandler(unknown)
        await make_runner(handler, ListRecorder(), settings=settings)
        await publisher.publish(InvoiceCreated(invoice_id=5, organization_id=4))
        await publisher.close()

        [parked] = await drain(admin, settings.parking_queue, 1)
        # Two retries (its budget), not the five steps a transient outage gets.
        assert [c.ctx.attempt for c in handler.calls] == [1, 2, 3]
        assert parked.headers[h.PARK_REASON] == "attempts_exhausted"
        assert parked.headers[h.ERROR_CODE] == "aforo_not_ready"


class TestParked:
    async def test_permanent_error_is_parked_at_once(
        self,
        make_runner: RunnerFactory,
        publisher: Publisher,
        admin: AbstractChannel,
        amqp_settings: AmqpSettings,
    ) -> None:
        async def unknown_org(_event: Event, _ctx: MessageContext) -> None:
            raise NotFound("organization 4 is unknown")

        handler = ScriptedHandler(unknown_org)
        recorder = ListRecorder()
        await make_runner(handler, recorder)
        await publisher.publish(CustomerActivated(customer_id=3, organization_id=4))

        [parked] = await drain(admin, amqp_settings.parking_queue, 1)
        assert len(handler.calls) == 1
        assert parked.headers[h.PARK_REASON] == "permanent_error"
        assert parked.headers[h.ERROR_CODE] == "not_found"
        assert parked.headers[h.ATTEMPTS] == 1
        [outcome] = recorder.outcomes
        assert (outcome.status, outcome.category) == ("FAILED", "PERMANENT")

    async def test_a_handler_bug_is_parked_and_consuming_goes_on(
        self,
        make_runner: RunnerFactory,
        publisher: Publisher,
        admin: AbstractChannel,
        amqp_settings: AmqpSettings,
    ) -> None:
        async def buggy(event: Event, _ctx: MessageContext) -> None:
            if event.organization_id == 1:
                raise KeyError("customerName")

        handler = ScriptedHandler(buggy)
        recorder = ListRecorder()
        await make_runner(handler, recorder)
        await publisher.publish(CustomerActivated(customer_id=3, organization_id=1))
        await publisher.publish(CustomerActivated(customer_id=3, organization_id=2))

        [parked] = await drain(admin, amqp_settings.parking_queue, 1)
        await wait_until(lambda: len(handler.calls) == 2, "next message handled")
        assert parked.headers[h.PARK_REASON] == "unexpected_error"
        assert parked.headers[h.ERROR_CODE] == "KeyError"
        assert [o.reason for o in recorder.outcomes] == ["unexpected_error"]

    async def test_every_poison_kind_is_parked_and_a_good_message_still_handled(
        self, make_runner: RunnerFactory, admin: AbstractChannel, settings_factory: SettingsFactory
    ) -> None:
        settings = settings_factory(max_body_bytes=1024)
        handler = ScriptedHandler()
        recorder = ListRecorder()
        await make_runner(handler, recorder, settings=settings)
        token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
        poison: list[tuple[bytes, dict[str, object], str]] = [
            (b"not json at all", {"content_type": "application/json"}, "invalid_json"),
            (
                b"\xac\xed\x00\x05sr\x00\x04Test",
                {"content_type": "application/x-java-serialized-object"},
                "unsupported_content_type",
            ),
            (b"\xff\xfe\x00{", {}, "invalid_json"),
            (
                b'{"invoiceId": "abc", "organizationId": 12, "jwtToken": "'
                + token.encode()
                + b'"}',
                {"content_type": "application/json"},
                "wrong_schema",
            ),
            (b"[1, 2, 3]", {"content_type": "application/json"}, "wrong_schema"),
            (
                b'{"invoiceId": 1, "organizationId": 2, "pad": "' + b"x" * 2000 + b'"}',
                {},
                "oversized_body",
            ),
            (
                b'{"invoiceId": 1, "organizationId": 2}',
                {"content_type": "application/json", "content_encoding": "gzip"},
                "unsupported_content_type",
            ),
        ]
        exchange = await admin.get_exchange(settings.exchange)
        for body, props, _ in poison:
            await exchange.publish(aio_pika.Message(body, **props), "invoice.created")  # type: ignore[arg-type]
        good = b'{"invoiceId": 77, "organizationId": 2}'
        await exchange.publish(spring_message(good, INVOICE_TYPE_ID), "invoice.created")

        parked = await drain(admin, settings.parking_queue, len(poison))
        await wait_until(lambda: len(handler.calls) == 1, "good message handled")
        assert handler.entity_ids() == ["77"]
        assert [m.headers[h.ERROR_CODE] for m in parked] == [code for _, _, code in poison]
        assert {m.headers[h.PARK_REASON] for m in parked} == {"invalid_message"}
        assert [m.body for m in parked] == [body for body, _, _ in poison]  # kept as sent
        assert parked[1].content_type == "application/x-java-serialized-object"
        assert [o.code for o in recorder.outcomes] == [code for _, _, code in poison]
        schema = recorder.outcomes[3]
        assert (schema.status, schema.category) == ("FAILED", "INVALID_INPUT")
        assert schema.organization_id == 12
        assert token not in schema.body_excerpt
        assert '"jwtToken": "***"' in schema.body_excerpt
        assert all(len(o.body_excerpt.encode()) <= 2048 for o in recorder.outcomes)

    async def test_json_nested_60000_deep_is_parked_once_not_looped(
        self, make_runner: RunnerFactory, admin: AbstractChannel, amqp_settings: AmqpSettings
    ) -> None:
        # Issue #12 item 2: the RecursionError escaped the decoder and the message was
        # handed back 52 times in 51 s. It is invalid JSON like any other and parked once.
        handler = ScriptedHandler()
        recorder = ListRecorder()
        await make_runner(handler, recorder)
        deep = b'{"invoiceId": 1, "organizationId": 2, "x": ' + b"[" * 60_000 + b"]" * 60_000 + b"}"
        await publish_json(
            admin, amqp_settings, "invoice.created", deep, content_type="application/json"
        )
        await publish_json(
            admin, amqp_settings, "invoice.created", b'{"invoiceId": 8, "organizationId": 2}'
        )

        [parked] = await drain(admin, amqp_settings.parking_queue, 1)
        await wait_until(lambda: len(handler.calls) == 1, "the next message handled")
        assert parked.headers[h.ERROR_CODE] == "invalid_json"
        assert parked.body == deep
        [outcome] = recorder.outcomes
        assert (outcome.status, outcome.attempts, outcome.entity_type) == ("FAILED", 1, "INVOICE")
        assert await message_count(admin, amqp_settings.work_queue("invoice.created")) == 0
        assert await message_count(admin, amqp_settings.parking_queue) == 0

    async def test_an_organization_beyond_a_bigint_is_parked_at_once(
        self, make_runner: RunnerFactory, admin: AbstractChannel, amqp_settings: AmqpSettings
    ) -> None:
        handler = ScriptedHandler()
        recorder = ListRecorder()
        await make_runner(handler, recorder)
        body = b'{"invoiceId": 1180591620717411303424, "organizationId": 1180591620717411303424}'
        await publish_json(admin, amqp_settings, "invoice.created", body)

        [parked] = await drain(admin, amqp_settings.parking_queue, 1)
        assert parked.headers[h.PARK_REASON] == "invalid_message"
        assert parked.headers[h.ERROR_CODE] == "wrong_schema"
        assert parked.headers[h.ATTEMPTS] == 1
        assert h.ORGANIZATION_ID not in parked.headers
        assert handler.calls == []
        [outcome] = recorder.outcomes
        assert outcome.organization_id is None  # would not fit the sync log's BIGINT

    async def test_recorder_failure_keeps_the_message(
        self, make_runner: RunnerFactory, admin: AbstractChannel, amqp_settings: AmqpSettings
    ) -> None:
        # The recorder fails its in-process retries: the message is handed back, comes back,
        # and is parked once the recorder works. Nothing is parked without its log row.
        recorder = ListRecorder(fail_first=3)
        await make_runner(ScriptedHandler(), recorder)
        await publish_json(admin, amqp_settings, "payment.received", b"{oops")

        [parked] = await drain(admin, amqp_settings.parking_queue, 1)
        assert recorder.failures == 3
        assert len(recorder.outcomes) == 1
        assert parked.headers[h.ERROR_CODE] == "invalid_json"
        assert await message_count(admin, amqp_settings.work_queue("payment.received")) == 0


@dataclass
class FakeDelivery:
    """Just the properties message_context reads; Spring may leave all of them unset."""

    message_id: str | None = None
    correlation_id: str | None = None
    headers: dict[str, object] = field(default_factory=dict)
    redelivered: bool = False


class TestMessageContext:
    EVENT = CustomerActivated(customer_id=1, organization_id=2, event_id="evt-1")

    @pytest.mark.parametrize(
        ("delivery", "event", "expected"),
        [
            (FakeDelivery(message_id="msg-1", correlation_id="cor-1"), EVENT, "cor-1"),
            (FakeDelivery(message_id="msg-1"), EVENT, "msg-1"),
            (FakeDelivery(), EVENT, "evt-1"),
            (FakeDelivery(correlation_id="cor-1"), None, "cor-1"),
        ],
    )
    def test_correlation_id_precedence(
        self, delivery: FakeDelivery, event: Event | None, expected: str
    ) -> None:
        ctx = message_context(
            delivery,  # type: ignore[arg-type]
            routing_key="customer.activated",
            queue="q",
            event=event,
        )
        assert ctx.correlation_id == expected

    def test_spring_message_without_any_id_gets_one(self) -> None:
        ctx = message_context(
            FakeDelivery(headers={"__TypeId__": "x"}),  # type: ignore[arg-type]
            routing_key="customer.activated",
            queue="q",
            event=CustomerActivated(customer_id=1, organization_id=2),
        )
        assert len(ctx.correlation_id) == 32
        assert ctx.attempt == 1

    @pytest.mark.parametrize(("header", "attempt"), [(3, 3), ("2", 2), (b"4", 4), ("x", 1), (0, 1)])
    def test_attempt_header(self, header: object, attempt: int) -> None:
        ctx = message_context(
            FakeDelivery(headers={h.ATTEMPT: header}, redelivered=True),  # type: ignore[arg-type]
            routing_key="customer.activated",
            queue="q",
            event=None,
        )
        assert ctx.attempt == attempt
        assert ctx.redelivered


class TestOutcomeMetric:
    async def test_every_outcome_counts_in_qbsync_events_total(
        self, make_runner: RunnerFactory, publisher: Publisher, amqp_settings: AmqpSettings
    ) -> None:
        async def handle(event: Event, ctx: MessageContext) -> None:
            assert isinstance(event, CustomerActivated)
            if event.customer_id == 1 and ctx.attempt == 1:
                raise DependencyUnavailable("metering answered 503")
            if event.customer_id == 2:
                raise NotFound("no such customer")

        handler = ScriptedHandler(handle)
        await make_runner(handler, ListRecorder())
        await publisher.publish(CustomerActivated(customer_id=1, organization_id=2))
        await publisher.publish(CustomerActivated(customer_id=2, organization_id=2))
        await wait_until(lambda: len(handler.calls) == 3, "retried one, parked the other")

        def count(outcome: str) -> float | None:
            labels = {"queue": amqp_settings.work_queue("customer.activated"), "outcome": outcome}
            return REGISTRY.get_sample_value("qbsync_events_total", labels)

        await wait_until(lambda: count("acked") == 1, "the retried message acked")
        assert (count("retried"), count("parked")) == (1, 1)
