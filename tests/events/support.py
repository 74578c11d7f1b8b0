"""Test doubles for the runner: a scriptable handler, a recorder, and broker helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from qbsync.events.outcomes import RunnerOutcome
from qbsync.events.runner import MessageContext
from qbsync.events.schemas import Event

WAIT_S = 15.0  # upper bound for anything a test waits on; reaching it means failure

Behaviour = Callable[[Event, MessageContext], Awaitable[None]]


async def wait_until(predicate: Callable[[], bool], what: str) -> None:
    """Poll state the code under test owns (no event to wait on) until it holds."""
    try:
        async with asyncio.timeout(WAIT_S):
            while not predicate():  # noqa: ASYNC110 - there is no event to wait for
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"not reached within {WAIT_S} s: {what}") from None


@dataclass
class Call:
    event: Event
    ctx: MessageContext


@dataclass
class ScriptedHandler:
    """Records every call; ``behaviour`` decides what a call does (default: succeed)."""

    behaviour: Behaviour | None = None
    calls: list[Call] = field(default_factory=list)
    running: int = 0
    max_running: int = 0

    async def __call__(self, event: Event, ctx: MessageContext) -> None:
        self.calls.append(Call(event, ctx))
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            if self.behaviour is not None:
                await self.behaviour(event, ctx)
        finally:
            self.running -= 1

    def entity_ids(self) -> list[str]:
        return [call.event.entity_id for call in self.calls]


@dataclass
class ListRecorder:
    """An OutcomeRecorder that keeps outcomes in memory and can fail its first calls."""

    fail_first: int = 0
    outcomes: list[RunnerOutcome] = field(default_factory=list)
    failures: int = 0

    async def record(self, outcome: RunnerOutcome) -> None:
        if self.failures < self.fail_first:
            self.failures += 1
            raise RuntimeError("sync log is down")
        self.outcomes.append(outcome)


def spring_message(body: bytes, type_id: str, **properties: object) -> aio_pika.Message:
    """A message as Spring AMQP's Jackson2JsonMessageConverter sends it (reference §2d)."""
    values: dict[str, object] = {
        "content_type": "application/json",
        "content_encoding": "UTF-8",
        "delivery_mode": aio_pika.DeliveryMode.PERSISTENT,
        "priority": 0,
        "headers": {"__TypeId__": type_id},
    }
    values.update(properties)
    return aio_pika.Message(body, **values)  # type: ignore[arg-type]


async def message_count(channel: AbstractChannel, queue: str) -> int:
    underlay = await channel.get_underlay_channel()
    declared = await underlay.queue_declare(queue, passive=True)
    return int(declared.message_count or 0)


async def consumer_count(channel: AbstractChannel, queue: str) -> int:
    underlay = await channel.get_underlay_channel()
    declared = await underlay.queue_declare(queue, passive=True)
    return int(declared.consumer_count or 0)


async def wait_for_count(
    channel: AbstractChannel, queue: str, expected: int, *, consumers: bool = False
) -> None:
    """Requeues and cancels reach a quorum queue asynchronously: poll the broker until the
    message (or consumer) count shows them."""
    count = consumer_count if consumers else message_count
    try:
        async with asyncio.timeout(WAIT_S):
            while await count(channel, queue) != expected:  # noqa: ASYNC110 - broker state
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"{queue} never reached {expected}") from None


SENTINELS = {
    "customer": b'{"customerId": 999, "organizationId": 999}',
    "invoice": b'{"invoiceId": 999, "organizationId": 999}',
    "payment": b'{"paymentId": "999", "organizationId": 999}',
}


async def assert_all_acked(
    start_runner: Callable[..., Awaitable[object]], channel: AbstractChannel, queue: str
) -> None:
    """After a runner stopped, nothing it took may come back. A fresh runner must see only
    a sentinel sent afterwards: an unacked message would have been returned to the queue
    when the old channel closed, before the sentinel was even published."""
    handler = ScriptedHandler()
    await start_runner(handler)
    body = next(b for kind, b in SENTINELS.items() if f".{kind}." in queue)
    await channel.default_exchange.publish(aio_pika.Message(body), routing_key=queue)
    await wait_until(lambda: any(c.event.entity_id == "999" for c in handler.calls), "sentinel")
    assert handler.entity_ids() == ["999"]


async def drain(
    channel: AbstractChannel, queue: str, expected: int
) -> list[AbstractIncomingMessage]:
    """Take ``expected`` messages off ``queue`` (acked), waiting for them to arrive."""
    target = await channel.get_queue(queue, ensure=False)
    taken: list[AbstractIncomingMessage] = []
    async with asyncio.timeout(WAIT_S):
        while len(taken) < expected:
            message = await target.get(no_ack=True, fail=False)
            if message is None:
                await asyncio.sleep(0.02)
            else:
                taken.append(message)
    return taken
