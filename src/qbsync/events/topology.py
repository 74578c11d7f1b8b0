"""The RabbitMQ topology qbsync owns: exchange, work queues, delayed-retry wait queues, parking.

One work queue per registered kind's event (``sync/kinds.py``):

    aforo.events (topic) ─ customer.activated ─► qbsync.customer.activated (quorum) ─┐
                         ─ invoice.created ────► qbsync.invoice.created   (quorum) ─┤ consumed
                         ─ payment.received ───► qbsync.payment.received  (quorum) ─┘
    qbsync.retry (headers) ─ qbsync-retry-delay-ms=5000 ─► qbsync.retry.wait.5000ms (TTL 5 s)
                           ─ …one wait queue per delay step…
        each wait queue dead-letters through the default exchange with the message's own
        routing key, which the runner sets to the owning work queue's name
    qbsync.parked (classic): what must not be retried, with x-qbsync-* headers saying why

Wait queues are shared by the work queues, one per delay step, rather than one per
(event type, step): every message in a wait queue has the same TTL, so expiry at the head
is never blocked, and the owning queue travels in the routing key. The delay is part of the
wait queue's name and binding, so changing ``retry_delays_s`` creates new queues instead of
failing on a changed ``x-message-ttl``; old wait queues still drain into their work queues.

Work queues dead-letter into the parking queue, so a ``reject(requeue=False)`` parks rather
than drops, and so does the broker once a message has been delivered ``delivery_limit``
times (``x-delivery-limit``): whatever goes wrong in the runner, no message loops forever.
The runner itself parks by publishing an annotated copy, because dead-lettering cannot add
the reason headers; a message parked by the delivery limit says so in its ``x-death``.
A work queue declared before the limit existed cannot take the argument (RabbitMQ refuses
to change a queue's arguments): it is used as it is, and a warning names the policy to add.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from aio_pika import ExchangeType
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue
from aiormq.exceptions import ChannelPreconditionFailed
from pamqp.common import FieldTable

from qbsync.config import AmqpSettings
from qbsync.sync.registry import kinds

# Not "x-" prefixed on purpose: a headers exchange ignores x- headers when matching
# (https://www.rabbitmq.com/docs/exchanges#headers).
RETRY_DELAY_HEADER: Final = "qbsync-retry-delay-ms"

log = logging.getLogger(__name__)

# Per work queue (and limit): whether it takes x-delivery-limit; probed once per process.
_TAKES_LIMIT: dict[tuple[str, int], bool] = {}


def delay_ms(delay_s: float) -> int:
    return max(1, round(delay_s * 1000))


@dataclass(frozen=True)
class TopologyNames:
    """The names behind ``AmqpSettings``, without touching the broker."""

    exchange: str
    work_queues: Mapping[str, str]  # routing key -> work queue
    retry_exchange: str
    wait_queues: Mapping[int, str]  # delay in ms -> wait queue
    parking_queue: str

    @classmethod
    def from_settings(cls, settings: AmqpSettings) -> TopologyNames:
        return cls(
            exchange=settings.exchange,
            work_queues={
                routing_key: settings.work_queue(routing_key)
                for kind in kinds()
                for routing_key in kind.routing_keys
            },
            retry_exchange=settings.retry_exchange,
            wait_queues={
                delay_ms(d): f"{settings.retry_exchange}.wait.{delay_ms(d)}ms"
                for d in settings.retry_delays_s
            },
            parking_queue=settings.parking_queue,
        )

    def routing_key_of_queue(self, queue: str) -> str | None:
        for routing_key, name in self.work_queues.items():
            if name == queue:
                return routing_key
        return None

    def all_queues(self) -> list[str]:
        return [*self.work_queues.values(), *self.wait_queues.values(), self.parking_queue]


@dataclass(frozen=True)
class Topology:
    names: TopologyNames
    exchange: AbstractExchange
    work_queues: Mapping[str, AbstractQueue]  # routing key -> queue
    retry_exchange: AbstractExchange
    wait_queues: Mapping[int, AbstractQueue]  # delay in ms -> queue
    parking_queue: AbstractQueue


async def declare_topology(channel: AbstractChannel, settings: AmqpSettings) -> Topology:
    """Declare everything (idempotent). On a robust channel aio-pika re-declares all of it,
    bindings included, each time the connection comes back."""
    names = TopologyNames.from_settings(settings)
    exchange = await channel.declare_exchange(names.exchange, ExchangeType.TOPIC, durable=True)
    retry_exchange = await channel.declare_exchange(
        names.retry_exchange, ExchangeType.HEADERS, durable=True
    )
    # Classic on purpose: a classic queue puts a requeued message back in its place, which
    # lets operators browse parked messages (basic.get, then nack with requeue) in order.
    parking_queue = await channel.declare_queue(
        names.parking_queue, durable=True, arguments={"x-queue-type": "classic"}
    )
    work_queues: dict[str, AbstractQueue] = {}
    for routing_key, queue_name in names.work_queues.items():
        arguments: FieldTable = {
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": names.parking_queue,
        }
        if await _takes_delivery_limit(channel, queue_name, arguments, settings.delivery_limit):
            arguments["x-delivery-limit"] = settings.delivery_limit
        queue = await channel.declare_queue(queue_name, durable=True, arguments=arguments)
        await queue.bind(exchange, routing_key)
        work_queues[routing_key] = queue
    wait_queues: dict[int, AbstractQueue] = {}
    for ms, queue_name in names.wait_queues.items():
        queue = await channel.declare_queue(
            queue_name,
            durable=True,
            arguments={
                "x-queue-type": "classic",
                "x-message-ttl": ms,
                # No x-dead-letter-routing-key: the message keeps its own routing key, the
                # name of the work queue it came from, and the default exchange delivers it.
                "x-dead-letter-exchange": "",
            },
        )
        await queue.bind(
            retry_exchange, "", arguments={"x-match": "all", RETRY_DELAY_HEADER: str(ms)}
        )
        wait_queues[ms] = queue
    return Topology(
        names=names,
        exchange=exchange,
        work_queues=work_queues,
        retry_exchange=retry_exchange,
        wait_queues=wait_queues,
        parking_queue=parking_queue,
    )


async def _takes_delivery_limit(
    channel: AbstractChannel, queue: str, arguments: FieldTable, limit: int
) -> bool:
    """Whether ``queue`` can be declared with ``x-delivery-limit``: it is new, or has it.

    Probed on a throwaway channel, because a refused declaration closes its channel.
    """
    known = _TAKES_LIMIT.get((queue, limit))
    if known is not None:
        return known
    underlay = await channel.get_underlay_channel()
    probe = await underlay.connection.channel()
    try:
        await probe.queue_declare(
            queue, durable=True, arguments={**arguments, "x-delivery-limit": limit}
        )
    except ChannelPreconditionFailed:
        _TAKES_LIMIT[queue, limit] = False
        log.warning(
            "work queue has no delivery limit; a message that keeps failing can loop",
            extra={
                "queue": queue,
                "fix": "rabbitmqctl set_policy qbsync-delivery-limit "
                f"'^{queue}$' '{{\"delivery-limit\":{limit}}}' --apply-to quorum_queues",
            },
        )
        return False
    if not probe.is_closed:
        await probe.close()
    _TAKES_LIMIT[queue, limit] = True
    return True
