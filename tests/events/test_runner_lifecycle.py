"""ConsumerRunner lifecycle: concurrency cap, broker drops, shutdown, broker down at start."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel

from qbsync.config import AmqpSettings
from qbsync.events.connection import AmqpConnector
from qbsync.events.publisher import Publisher
from qbsync.events.runner import ConsumerRunner, MessageContext
from qbsync.events.schemas import CustomerActivated, Event, InvoiceCreated
from tests.events.conftest import RunnerFactory, SettingsFactory
from tests.events.proxy import TcpProxy
from tests.events.support import (
    WAIT_S,
    ListRecorder,
    ScriptedHandler,
    assert_all_acked,
    consumer_count,
    wait_for_count,
    wait_until,
)


def invoice(invoice_id: int) -> InvoiceCreated:
    return InvoiceCreated(invoice_id=invoice_id, organization_id=1, event_id=f"inv-{invoice_id}")


@pytest.fixture
async def proxied(proxy: TcpProxy, amqp_settings: AmqpSettings) -> AsyncIterator[AmqpConnector]:
    """A connector that reaches RabbitMQ through the test's proxy."""
    connector = AmqpConnector(amqp_settings.model_copy(update={"url": proxy.url}))
    await connector.start()
    yield connector
    await connector.close()


class TestConcurrency:
    async def test_no_more_handlers_than_the_setting(
        self,
        make_runner: RunnerFactory,
        connector: AmqpConnector,
        settings_factory: SettingsFactory,
    ) -> None:
        settings = settings_factory(concurrency=2, prefetch=10)
        gate = asyncio.Event()

        async def slow(_event: Event, _ctx: MessageContext) -> None:
            await gate.wait()

        handler = ScriptedHandler(slow)
        runner = await make_runner(handler, settings=settings)
        settings_publisher = Publisher(connector, settings)
        for n in range(1, 6):
            await settings_publisher.publish(invoice(n))
        await wait_until(lambda: runner.in_flight == 5, "all five delivered (prefetch 10)")
        assert handler.running == 2
        gate.set()
        await wait_until(lambda: len(handler.calls) == 5, "all handled")
        assert handler.max_running == 2
        await settings_publisher.close()


class TestBrokerDrops:
    async def test_reconnects_restores_topology_and_loses_nothing(
        self,
        proxy: TcpProxy,
        proxied: AmqpConnector,
        make_runner: RunnerFactory,
        admin: AbstractChannel,
        amqp_settings: AmqpSettings,
    ) -> None:
        assert await proxied.wait_connected(WAIT_S)
        connects: list[object] = []

        async def on_connected(connection: object) -> None:
            connects.append(connection)

        proxied.add_on_connected(on_connected)  # told once now, once per reconnect
        release = asyncio.Event()

        async def blocked(_event: Event, _ctx: MessageContext) -> None:
            await release.wait()

        handler = ScriptedHandler(blocked)
        runner = await make_runner(handler, on=proxied)
        exchange = await admin.get_exchange(amqp_settings.exchange)
        for n in (1, 2, 3):
            body = invoice(n).model_dump_json(by_alias=True).encode()
            await exchange.publish(aio_pika.Message(body), "invoice.created")
        await wait_until(lambda: handler.running == 3, "three messages in flight")

        proxy.go_down()  # the connection dies with three unacked messages
        await wait_until(lambda: not proxied.is_connected, "drop noticed")
        # While qbsync is away, an exchange and a queue it owns disappear.
        await admin.exchange_delete(amqp_settings.exchange)
        await admin.queue_delete(amqp_settings.work_queue("payment.received"))
        release.set()  # the in-flight syncs finish; their acks go nowhere
        await wait_until(lambda: runner.in_flight == 0, "in-flight work finished")
        proxy.come_back()

        await wait_until(lambda: len(handler.calls) == 6, "the three redelivered and handled")
        again = handler.calls[3:]
        assert sorted(c.event.entity_id for c in again) == ["1", "2", "3"]
        assert all(c.ctx.redelivered for c in again)
        # Listeners run once every channel is restored. Exchange, queue and binding are
        # back: a publish routes and is consumed.
        await wait_until(lambda: len(connects) == 2, "reconnect completed")
        exchange = await admin.get_exchange(amqp_settings.exchange)
        payment = b'{"paymentId": "p-1", "organizationId": 1}'
        await exchange.publish(aio_pika.Message(payment), "payment.received")
        await wait_until(lambda: len(handler.calls) == 7, "payment handled after restore")
        assert handler.calls[-1].event.entity_id == "p-1"

    async def test_runner_started_while_broker_down_attaches_later(
        self,
        proxy: TcpProxy,
        make_runner: RunnerFactory,
        amqp_settings: AmqpSettings,
        publisher: Publisher,
    ) -> None:
        proxy.go_down()
        connector = AmqpConnector(amqp_settings.model_copy(update={"url": proxy.url}))
        await connector.start()
        try:
            handler = ScriptedHandler()
            runner = await make_runner(handler, on=connector)  # does not raise
            assert not runner.is_consuming
            await publisher.publish(invoice(9))
            proxy.come_back()
            await wait_until(lambda: runner.is_consuming, "attached")
            await wait_until(lambda: len(handler.calls) == 1, "queued message handled")
            await runner.stop(grace_s=1)
        finally:
            await connector.close()


class TestShutdown:
    async def test_in_flight_messages_are_handled_after_restart(
        self,
        make_runner: RunnerFactory,
        connector: AmqpConnector,
        admin: AbstractChannel,
        settings_factory: SettingsFactory,
    ) -> None:
        settings = settings_factory(concurrency=2)

        async def stuck(_event: Event, _ctx: MessageContext) -> None:
            await asyncio.Event().wait()  # never finishes: only cancellation ends it

        first = ScriptedHandler(stuck)
        recorder = ListRecorder()
        runner = await make_runner(first, recorder, settings=settings)
        settings_publisher = Publisher(connector, settings)
        for n in range(1, 6):
            await settings_publisher.publish(invoice(n))
        await wait_until(lambda: runner.in_flight == 5, "five delivered, two running")
        await runner.stop(grace_s=0.2)
        assert runner.in_flight == 0
        assert recorder.outcomes == []  # handed back, not failed
        await wait_for_count(admin, settings.work_queue("invoice.created"), 5)

        second = ScriptedHandler()
        await make_runner(second, settings=settings)
        await wait_until(lambda: len(second.calls) == 5, "all five handled by the new runner")
        assert sorted(second.entity_ids()) == ["1", "2", "3", "4", "5"]
        assert len(first.calls) == 2  # the concurrency cap: two were running when stopped
        # All five had been delivered to the first runner, so the broker flags each one.
        assert all(c.ctx.redelivered for c in second.calls)
        await settings_publisher.close()

    async def test_stop_waits_for_handlers_that_finish_in_time(
        self,
        make_runner: RunnerFactory,
        publisher: Publisher,
        admin: AbstractChannel,
        amqp_settings: AmqpSettings,
    ) -> None:
        release = asyncio.Event()

        async def short(_event: Event, _ctx: MessageContext) -> None:
            await release.wait()

        handler = ScriptedHandler(short)
        runner = await make_runner(handler)
        await publisher.publish(CustomerActivated(customer_id=1, organization_id=2))
        await wait_until(lambda: handler.running == 1, "in flight")
        stopping = asyncio.create_task(runner.stop(grace_s=WAIT_S))
        await asyncio.sleep(0.1)
        assert not stopping.done()  # waiting for the handler, not cutting it off
        release.set()
        await stopping
        assert len(handler.calls) == 1
        await assert_all_acked(make_runner, admin, amqp_settings.work_queue("customer.activated"))

    async def test_stop_cancels_the_consumers(
        self, make_runner: RunnerFactory, admin: AbstractChannel, amqp_settings: AmqpSettings
    ) -> None:
        runner: ConsumerRunner = await make_runner(ScriptedHandler())
        queues = (
            amqp_settings.work_queue("customer.activated"),
            amqp_settings.work_queue("invoice.created"),
            amqp_settings.work_queue("payment.received"),
        )
        assert [await consumer_count(admin, q) for q in queues] == [1, 1, 1]
        assert runner.is_consuming
        await runner.stop(grace_s=1)
        for queue in queues:
            await wait_for_count(admin, queue, 0, consumers=True)
        assert not runner.is_consuming
