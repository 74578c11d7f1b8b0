"""Parking queue operations: browse without consuming or reordering, replay, discard."""

from __future__ import annotations

import json

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel

from qbsync.config import AmqpSettings
from qbsync.errors import NotFound
from qbsync.events.errors import NotReplayable
from qbsync.events.parking import ParkedMessage, discard, list_parked, replay, replay_all
from qbsync.events.publisher import Publisher
from qbsync.events.runner import MessageContext
from qbsync.events.schemas import CustomerActivated, Event, InvoiceCreated
from tests.events.conftest import RunnerFactory
from tests.events.support import ScriptedHandler, wait_for_count, wait_until


class Switch:
    """A handler that refuses organizations in ``refused`` (unknown org) until told otherwise."""

    def __init__(self) -> None:
        self.refused = {404}
        self.handler = ScriptedHandler(self._behave)

    async def _behave(self, event: Event, _ctx: MessageContext) -> None:
        if event.organization_id in self.refused:
            raise NotFound(f"organization {event.organization_id} is unknown")


@pytest.fixture
async def parked_three(
    make_runner: RunnerFactory,
    publisher: Publisher,
    admin: AbstractChannel,
    amqp_settings: AmqpSettings,
) -> Switch:
    """Three messages parked as permanent failures, in the order customers 1, 2, 3."""
    switch = Switch()
    await make_runner(switch.handler)
    for customer_id in (1, 2, 3):
        await publisher.publish(
            CustomerActivated(customer_id=customer_id, organization_id=404),
            correlation_id=f"cor-{customer_id}",
        )
    await wait_for_count(admin, amqp_settings.parking_queue, 3)
    return switch


def customers(parked: list[ParkedMessage]) -> list[int]:
    """The customer id of each parked CustomerActivated, read from its excerpt."""
    return [json.loads(p.body_excerpt)["customerId"] for p in parked]


@pytest.mark.usefixtures("parked_three")
class TestListParked:
    async def test_lists_in_order_and_leaves_the_queue_as_it_was(
        self, admin: AbstractChannel, amqp_settings: AmqpSettings
    ) -> None:
        first = await list_parked(admin, amqp_settings, limit=10)
        assert customers(first) == [1, 2, 3]
        assert [p.correlation_id for p in first] == ["cor-1", "cor-2", "cor-3"]
        assert {p.reason for p in first} == {"permanent_error"}
        assert {p.error_code for p in first} == {"not_found"}
        assert first[0].error_message == "organization 404 is unknown"
        assert first[0].attempts == 1
        assert first[0].source_queue == amqp_settings.work_queue("customer.activated")
        assert first[0].routing_key == "customer.activated"
        assert first[0].parked_at is not None
        assert first[0].original_message_id
        assert len({p.message_id for p in first}) == 3

        # Browsing twice (and partially) changes nothing: same messages, same order.
        assert customers(await list_parked(admin, amqp_settings, limit=2)) == [1, 2]
        again = await list_parked(admin, amqp_settings, limit=10)
        assert [p.message_id for p in again] == [p.message_id for p in first]
        await wait_for_count(admin, amqp_settings.parking_queue, 3)

    async def test_body_excerpt_is_redacted(
        self, admin: AbstractChannel, amqp_settings: AmqpSettings
    ) -> None:
        body = InvoiceCreated(
            invoice_id=1, organization_id=2, jwt_token="eyJa.eyJb.c"
        ).model_dump_json(by_alias=True)
        await admin.default_exchange.publish(
            aio_pika.Message(body.encode(), message_id="raw-1"), amqp_settings.parking_queue
        )
        [*_, raw] = await list_parked(admin, amqp_settings, limit=10)
        assert raw.message_id == "raw-1"
        assert "eyJ" not in raw.body_excerpt
        assert raw.reason is None


class TestReplayAndDiscard:
    async def test_replay_one_sends_it_home_with_a_fresh_attempt_count(
        self,
        parked_three: Switch,
        admin: AbstractChannel,
        publisher: Publisher,
        amqp_settings: AmqpSettings,
    ) -> None:
        parked = await list_parked(admin, amqp_settings)
        parked_three.refused.clear()  # the organization got connected
        assert await replay(admin, publisher, amqp_settings, parked[1].message_id)

        handler = parked_three.handler
        await wait_until(lambda: len(handler.calls) == 4, "replayed message handled")
        replayed = handler.calls[-1]
        assert replayed.event.entity_id == "2"
        assert replayed.ctx.attempt == 1
        assert replayed.ctx.message_id == parked[1].original_message_id
        assert replayed.ctx.correlation_id == "cor-2"
        left = await list_parked(admin, amqp_settings)
        assert customers(left) == [1, 3]

    async def test_discard_one(
        self, parked_three: Switch, admin: AbstractChannel, amqp_settings: AmqpSettings
    ) -> None:
        del parked_three
        parked = await list_parked(admin, amqp_settings)
        assert await discard(admin, amqp_settings, parked[0].message_id)
        assert not await discard(admin, amqp_settings, parked[0].message_id)
        assert customers(await list_parked(admin, amqp_settings)) == [2, 3]

    async def test_unknown_id_is_reported_and_nothing_moves(
        self,
        parked_three: Switch,
        admin: AbstractChannel,
        publisher: Publisher,
        amqp_settings: AmqpSettings,
    ) -> None:
        del parked_three
        assert not await replay(admin, publisher, amqp_settings, "no-such-id")
        assert not await discard(admin, amqp_settings, "no-such-id")
        assert customers(await list_parked(admin, amqp_settings)) == [1, 2, 3]

    async def test_replay_all_counts_only_what_was_parked_at_the_start(
        self,
        parked_three: Switch,
        admin: AbstractChannel,
        publisher: Publisher,
        amqp_settings: AmqpSettings,
    ) -> None:
        # Still refused: each replayed message is parked again at once. replay_all must not
        # chase them around the loop.
        assert await replay_all(admin, publisher, amqp_settings) == 3
        handler = parked_three.handler
        await wait_until(lambda: len(handler.calls) == 6, "all three tried again")
        await wait_for_count(admin, amqp_settings.parking_queue, 3)

    async def test_a_message_without_source_cannot_be_replayed(
        self, admin: AbstractChannel, publisher: Publisher, amqp_settings: AmqpSettings
    ) -> None:
        await publisher.publish(CustomerActivated(customer_id=1, organization_id=1))  # topology
        await admin.default_exchange.publish(
            aio_pika.Message(b"{}", message_id="orphan"), amqp_settings.parking_queue
        )
        with pytest.raises(NotReplayable):
            await replay(admin, publisher, amqp_settings, "orphan")
        assert await replay_all(admin, publisher, amqp_settings) == 0
        await wait_for_count(admin, amqp_settings.parking_queue, 1)
        assert [p.message_id for p in await list_parked(admin, amqp_settings)] == ["orphan"]
