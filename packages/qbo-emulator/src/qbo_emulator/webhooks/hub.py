"""Delivers recorded changes to webhook subscribers: batched, signed, with knobs.

Each subscription has a queue and one delivery task. ``notify`` runs inside the request that
made the change (under the realm lock) and only enqueues; the task posts in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass, field

import httpx

from qbo_emulator import clock
from qbo_emulator.changes import Change
from qbo_emulator.webhooks.formats import CONTENT_TYPES, render, signature
from qbo_emulator.webhooks.subscription import Delivery, Subscription

POST_TIMEOUT_S = 10.0


@dataclass
class Subscriber:
    subscription: Subscription
    queue: list[Change] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    # True from the first queued change until the queue is found empty (no await between
    # that check and clearing it, so a change is never left without a run to deliver it).
    running: bool = False
    dice: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.dice.seed(self.subscription.random_seed)
        self.idle.set()


class WebhookHub:
    def __init__(self) -> None:
        self.subscribers: dict[str, Subscriber] = {}

    def reset(self) -> None:
        for name in list(self.subscribers):
            self.remove(name)

    def subscribe(self, name: str, subscription: Subscription) -> None:
        self.remove(name)
        self.subscribers[name] = Subscriber(subscription)

    def remove(self, name: str) -> bool:
        subscriber = self.subscribers.pop(name, None)
        if subscriber is not None and subscriber.task is not None:
            subscriber.task.cancel()
        return subscriber is not None

    def notify(self, change: Change) -> None:
        for subscriber in self.subscribers.values():
            if subscriber.subscription.wants(change.realm_id, change.entity):
                subscriber.queue.append(change)
                subscriber.idle.clear()
                if not subscriber.running:
                    subscriber.running = True
                    subscriber.task = asyncio.get_running_loop().create_task(_run(subscriber))

    async def drain(self, name: str, timeout_s: float) -> bool:
        """Wait until the subscriber has nothing queued or in flight; False on timeout."""
        subscriber = self.subscribers[name]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(subscriber.idle.wait(), timeout_s)
        return subscriber.idle.is_set()


async def _run(subscriber: Subscriber) -> None:
    """Deliver until the queue is empty, then end (``notify`` starts a new run)."""
    settings = subscriber.subscription
    async with httpx.AsyncClient(timeout=POST_TIMEOUT_S) as http:
        while subscriber.queue:
            await asyncio.sleep(settings.batch_window_s)
            while subscriber.queue:
                batch = subscriber.queue[: settings.max_batch]
                del subscriber.queue[: settings.max_batch]
                await _deliver(http, subscriber, batch)
        subscriber.running = False
        subscriber.idle.set()


async def _deliver(http: httpx.AsyncClient, subscriber: Subscriber, batch: list[Change]) -> None:
    settings = subscriber.subscription
    dice = subscriber.dice
    reordered = len(batch) > 1 and dice.random() < settings.reorder_rate
    if reordered:
        batch = list(batch)
        dice.shuffle(batch)
    if dice.random() < settings.loss_rate:
        subscriber.deliveries.append(
            Delivery(at=clock.now(), events=len(batch), outcome="lost", reordered=reordered)
        )
        return
    body = render(settings.format, batch, app_id=settings.app_id)
    headers = {
        "content-type": CONTENT_TYPES[settings.format],
        "intuit-signature": signature(settings.verifier_token, body),
    }
    copies = 2 if dice.random() < settings.duplicate_rate else 1
    for copy in range(copies):
        await asyncio.sleep(settings.delay_s)
        await _post(
            http, subscriber, body, headers, len(batch), duplicate=copy > 0, reordered=reordered
        )


async def _post(
    http: httpx.AsyncClient,
    subscriber: Subscriber,
    body: bytes,
    headers: dict[str, str],
    events: int,
    *,
    duplicate: bool,
    reordered: bool,
) -> None:
    settings = subscriber.subscription
    wait = settings.retry_delay_s
    for attempt in range(1, settings.retries + 2):
        status: int | None = None
        error: str | None = None
        try:
            response = await http.post(settings.url, content=body, headers=headers)
            status = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        delivered = status is not None and 200 <= status < 300
        subscriber.deliveries.append(
            Delivery(
                at=clock.now(),
                events=events,
                outcome="delivered" if delivered else "failed",
                status=status,
                error=error,
                attempt=attempt,
                duplicate=duplicate,
                reordered=reordered,
            )
        )
        if delivered or attempt > settings.retries:
            return
        await asyncio.sleep(wait)
        wait *= 2
