"""Publisher: confirmed, persistent, routed; BrokerUnavailable whenever that is not true."""

from __future__ import annotations

from decimal import Decimal

import pytest
from aio_pika import DeliveryMode
from aio_pika.abc import AbstractChannel

from qbsync.config import AmqpSettings
from qbsync.events import headers as h
from qbsync.events.connection import AmqpConnector
from qbsync.events.errors import BrokerUnavailable
from qbsync.events.publisher import Publisher
from qbsync.events.schemas import InvoiceCreated, decode_message
from tests.events.conftest import make_amqp_settings
from tests.events.proxy import TcpProxy
from tests.events.support import WAIT_S, drain, message_count, wait_until

INVOICE = InvoiceCreated(
    invoice_id=123,
    organization_id=9,
    customer_id=9,
    invoice_number="INV-1",
    total_amount=Decimal("210.00"),
    jwt_token="eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
    event_id="evt-123",
)


class TestPublish:
    async def test_event_lands_in_its_queue_as_the_java_services_would_send_it(
        self, publisher: Publisher, admin: AbstractChannel, amqp_settings: AmqpSettings
    ) -> None:
        message_id = await publisher.publish(INVOICE, correlation_id="req-1", trigger="WEBHOOK")
        assert message_id == "evt-123"
        [message] = await drain(admin, amqp_settings.work_queue("invoice.created"), 1)
        assert message.content_type == "application/json"
        assert message.delivery_mode == DeliveryMode.PERSISTENT
        assert message.message_id == "evt-123"
        assert message.correlation_id == "req-1"
        assert message.headers[h.TRIGGER] == "WEBHOOK"
        assert b'"invoiceId":123' in message.body
        assert b'"totalAmount":"210.00"' in message.body
        # The engine needs metering's token, so it travels in the body.
        assert decode_message("invoice.created", message.body, message.content_type) == INVOICE

    async def test_message_id_is_generated_without_event_id(
        self, publisher: Publisher, admin: AbstractChannel, amqp_settings: AmqpSettings
    ) -> None:
        event = INVOICE.model_copy(update={"event_id": None})
        first = await publisher.publish(event)
        second = await publisher.publish(event)
        assert first != second
        messages = await drain(admin, amqp_settings.work_queue("invoice.created"), 2)
        assert [m.message_id for m in messages] == [first, second]
        assert messages[0].correlation_id == first

    async def test_publish_declares_the_topology_on_a_fresh_broker(
        self, publisher: Publisher, admin: AbstractChannel, amqp_settings: AmqpSettings
    ) -> None:
        # Nothing else declared these names: the publisher's own channel must have.
        await publisher.publish(INVOICE)
        assert await message_count(admin, amqp_settings.work_queue("invoice.created")) == 1
        assert await message_count(admin, amqp_settings.parking_queue) == 0


class TestBrokerUnavailable:
    async def test_not_connected_fails_at_once(self) -> None:
        settings = make_amqp_settings(url="amqp://guest:guest@127.0.0.1:1/")
        connector = AmqpConnector(settings)
        await connector.start()
        publisher = Publisher(connector, settings)
        try:
            with pytest.raises(BrokerUnavailable) as caught:
                await publisher.publish(INVOICE)
            assert caught.value.status_code == 503
        finally:
            await connector.close()

    async def test_broker_nack_is_an_error(
        self, publisher: Publisher, admin: AbstractChannel, amqp_settings: AmqpSettings
    ) -> None:
        await publisher.publish(INVOICE)  # declares the topology
        # A second queue on the same routing key that refuses every message: the broker
        # answers the publish with basic.nack.
        full = await admin.declare_queue(
            f"{amqp_settings.work_queue('invoice.created')}.full",
            arguments={"x-max-length": 0, "x-overflow": "reject-publish"},
            auto_delete=True,
        )
        await full.bind(amqp_settings.exchange, "invoice.created")
        with pytest.raises(BrokerUnavailable, match="refused"):
            await publisher.publish(INVOICE)
        await full.delete(if_unused=False, if_empty=False)

    async def test_unroutable_is_an_error(
        self, publisher: Publisher, admin: AbstractChannel, amqp_settings: AmqpSettings
    ) -> None:
        await publisher.publish(INVOICE)
        await admin.queue_delete(amqp_settings.work_queue("invoice.created"))
        with pytest.raises(BrokerUnavailable, match="route"):
            await publisher.publish(INVOICE)

    async def test_down_then_back(
        self, proxy: TcpProxy, admin: AbstractChannel, amqp_settings: AmqpSettings
    ) -> None:
        settings = amqp_settings.model_copy(update={"url": proxy.url})
        connector = AmqpConnector(settings)
        await connector.start()
        publisher = Publisher(connector, settings)
        try:
            assert await connector.wait_connected(WAIT_S)
            await publisher.publish(INVOICE)
            proxy.go_down()
            await wait_until(lambda: not connector.is_connected, "drop noticed")
            with pytest.raises(BrokerUnavailable):
                await publisher.publish(INVOICE)
            proxy.come_back()
            assert await connector.wait_connected(WAIT_S)
            await publisher.publish(INVOICE)
            assert await message_count(admin, amqp_settings.work_queue("invoice.created")) == 2
        finally:
            await publisher.close()
            await connector.close()
