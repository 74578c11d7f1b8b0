"""The topology on the real broker: routing, delayed retry through wait queues, dead-lettering."""

from __future__ import annotations

import logging

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel
from aio_pika.exceptions import ChannelPreconditionFailed, PublishError

from qbsync.config import AmqpSettings
from qbsync.events.parking import ParkedMessage
from qbsync.events.topology import RETRY_DELAY_HEADER, TopologyNames, declare_topology
from tests.events.support import drain, message_count

# Every event a kind consumes (docs/events.md).
ROUTING_KEYS = (
    "customer.activated",
    "invoice.created",
    "payment.received",
    "invoice.updated",
    "invoice.voided",
    "payment.failed",
    "payment.charged_back",
    "credit_note.issued",
    "payment.refunded",
)


@pytest.fixture
async def declared(admin: AbstractChannel, amqp_settings: AmqpSettings) -> TopologyNames:
    topology = await declare_topology(admin, amqp_settings)
    return topology.names


class TestDeclareTopology:
    async def test_names_come_from_settings(self, amqp_settings: AmqpSettings) -> None:
        names = TopologyNames.from_settings(amqp_settings)
        assert names.work_queues == {
            routing_key: amqp_settings.work_queue(routing_key) for routing_key in ROUTING_KEYS
        }
        assert names.wait_queues == {
            200: f"{amqp_settings.retry_exchange}.wait.200ms",
            400: f"{amqp_settings.retry_exchange}.wait.400ms",
        }

    async def test_each_routing_key_reaches_its_work_queue(
        self, admin: AbstractChannel, declared: TopologyNames
    ) -> None:
        exchange = await admin.get_exchange(declared.exchange)
        for routing_key in declared.work_queues:
            await exchange.publish(aio_pika.Message(routing_key.encode()), routing_key)
        for routing_key, queue in declared.work_queues.items():
            [message] = await drain(admin, queue, 1)
            assert message.body == routing_key.encode()

    async def test_declaring_again_is_idempotent(
        self, admin: AbstractChannel, amqp_settings: AmqpSettings, declared: TopologyNames
    ) -> None:
        again = await declare_topology(admin, amqp_settings)
        assert again.names == declared

    async def test_work_queues_are_quorum_queues(
        self, broker: aio_pika.abc.AbstractConnection, declared: TopologyNames
    ) -> None:
        # Re-declaring with another queue type is refused by the broker, which shows the type.
        channel = await broker.channel()
        with pytest.raises(ChannelPreconditionFailed):
            await channel.declare_queue(
                declared.work_queues["invoice.created"],
                durable=True,
                arguments={"x-queue-type": "classic"},
            )


class TestDelayedRetryPath:
    async def test_wait_queue_dead_letters_back_to_the_owning_queue(
        self, admin: AbstractChannel, declared: TopologyNames
    ) -> None:
        retry = await admin.get_exchange(declared.retry_exchange)
        owner = declared.work_queues["payment.received"]
        await retry.publish(
            aio_pika.Message(b"later", headers={RETRY_DELAY_HEADER: "200"}), routing_key=owner
        )
        assert await message_count(admin, declared.wait_queues[200]) == 1
        [message] = await drain(admin, owner, 1)
        assert message.body == b"later"
        deaths = message.headers["x-death"]
        assert isinstance(deaths, list)
        [death] = deaths
        assert isinstance(death, dict)
        assert death["queue"] == declared.wait_queues[200]
        assert death["reason"] == "expired"
        assert await message_count(admin, declared.work_queues["invoice.created"]) == 0

    async def test_a_delay_without_wait_queue_is_unroutable(
        self, admin: AbstractChannel, declared: TopologyNames
    ) -> None:
        retry = await admin.get_exchange(declared.retry_exchange)
        with pytest.raises(PublishError):
            await retry.publish(
                aio_pika.Message(b"x", headers={RETRY_DELAY_HEADER: "999"}),
                routing_key=declared.work_queues["payment.received"],
            )


class TestDeadLettering:
    async def test_rejected_work_message_lands_in_parking(
        self, admin: AbstractChannel, declared: TopologyNames
    ) -> None:
        queue_name = declared.work_queues["customer.activated"]
        await admin.default_exchange.publish(aio_pika.Message(b"bad"), routing_key=queue_name)
        queue = await admin.get_queue(queue_name, ensure=False)
        [message] = await drain_unacked(queue)
        await message.reject(requeue=False)
        [parked] = await drain(admin, declared.parking_queue, 1)
        assert parked.body == b"bad"


async def drain_unacked(
    queue: aio_pika.abc.AbstractQueue,
) -> list[aio_pika.abc.AbstractIncomingMessage]:
    message = await queue.get(no_ack=False, fail=False)
    assert message is not None
    return [message]


class TestDeliveryLimit:
    """Issue #12 item 2: whatever goes wrong, a message cannot loop on its work queue."""

    async def test_a_message_handed_back_again_and_again_is_parked_by_the_broker(
        self, admin: AbstractChannel, settings_factory
    ) -> None:
        settings = settings_factory(delivery_limit=3)
        names = (await declare_topology(admin, settings)).names
        queue_name = names.work_queues["invoice.created"]
        await admin.default_exchange.publish(aio_pika.Message(b"loops"), routing_key=queue_name)
        queue = await admin.get_queue(queue_name, ensure=False)
        handed_back = 0
        while await message_count(admin, names.parking_queue) == 0:
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                continue  # the requeue is on its way
            await message.nack(requeue=True)
            handed_back += 1
            assert handed_back <= 4, "the broker never parked the message"
        [parked] = await drain(admin, names.parking_queue, 1)
        assert parked.body == b"loops"
        assert parked.headers["x-first-death-reason"] == "delivery_limit"
        view = ParkedMessage.from_message(parked)
        assert (view.reason, view.source_queue) == ("delivery_limit", queue_name)
        assert await message_count(admin, queue_name) == 0

    async def test_a_work_queue_declared_before_the_limit_is_used_as_it_is(
        self, admin: AbstractChannel, broker, settings_factory, caplog
    ) -> None:
        settings = settings_factory()
        legacy = await broker.channel()
        await legacy.declare_queue(
            settings.work_queue("payment.received"),
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": settings.parking_queue,
            },
        )
        await legacy.close()
        with caplog.at_level(logging.WARNING, logger="qbsync.events.topology"):
            topology = await declare_topology(admin, settings)
        assert set(topology.work_queues) == set(ROUTING_KEYS)
        [warning] = [r for r in caplog.records if r.message.startswith("work queue has no")]
        assert warning.queue == settings.work_queue("payment.received")  # type: ignore[attr-defined]
        assert "delivery-limit" in warning.fix  # type: ignore[attr-defined]
