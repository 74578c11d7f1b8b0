"""Per-realm request limits: N in flight, M per minute and S per second; paused after a 429.

QBO throttles per app and realm: 10 concurrent requests and 500 per minute (Intuit blog
2016-08-08), and since 2025 also 10 per second (Intuit blog 2025-08-13); above that it
answers 429 / fault 3001. Staying under the limits ourselves keeps a busy tenant from
throttling itself. A limiter paces one process; the scheduler gives each realm to one
process at a time and hands the recent history on with the realm's lease, so the limits
hold across instances (docs/scheduling.md).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from types import TracebackType

from qbsync.config import QuickBooksSettings

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# QBO's per-second cap per realm and app (Intuit blog 2025-08-13).
QBO_MAX_PER_SECOND = 10
# Batch requests per realm and app per minute (Intuit's limits page, 2025), on top of the
# request limits: each batch is one request of those too.
QBO_BATCHES_PER_MINUTE = 40

# Set by the scheduler while it runs a sync a person waits for: that sync's requests take
# the realm's next rate slots ahead of the backlog's waiting requests.
URGENT: ContextVar[bool] = ContextVar("qbsync_urgent_requests", default=False)


class _SlidingLog:
    """Start times within the last ``window_s``: at most ``limit`` of them, in any window."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._starts: deque[float] = deque()

    def wait_s(self, now: float) -> float:
        while self._starts and self._starts[0] <= now - self.window_s:
            self._starts.popleft()
        if len(self._starts) < self.limit:
            return 0.0
        return self._starts[0] + self.window_s - now

    def record(self, now: float) -> None:
        self._starts.append(now)

    def room(self, now: float) -> int:
        self.wait_s(now)  # forgets the starts that left the window
        return self.limit - len(self._starts)

    def starts(self) -> list[float]:
        return list(self._starts)

    def replace(self, starts: list[float]) -> None:
        self._starts = deque(sorted(starts))


class RealmLimiter:
    """Async context manager around each HTTP request to one realm.

    The in-flight slot is taken before the rate slot, so a request's start time is recorded
    right before it is sent. Each rate limit is a sliding log of start times: never more
    than the limit in any window, and the full limit is usable. ``per_second`` defaults to
    an even share of the minute (``ceil(per_minute / 60)``, at most 10), which spreads a
    backlog over the minute instead of sending it in one burst.
    """

    def __init__(
        self,
        max_in_flight: int,
        per_minute: int,
        *,
        per_second: int | None = None,
        batches_per_minute: int = QBO_BATCHES_PER_MINUTE,
        throttle_pause_s: float = 1.0,
        max_pause_s: float = 30.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if per_second is None:
            per_second = min(QBO_MAX_PER_SECOND, math.ceil(per_minute / 60))
        if max_in_flight < 1 or per_minute < 1 or per_second < 1:
            raise ValueError("limits must be at least 1")
        self.max_in_flight = max_in_flight
        self.per_minute = per_minute
        self.per_second = per_second
        self._windows = (_SlidingLog(per_minute, 60.0), _SlidingLog(per_second, 1.0))
        self._batches = _SlidingLog(max(1, batches_per_minute), 60.0)
        self._batch_lock = asyncio.Lock()
        self._throttle_pause_s = throttle_pause_s
        self._max_pause_s = max_pause_s
        self._clock = clock
        self._sleep = sleep
        self._slots = asyncio.Semaphore(max_in_flight)
        self._window_lock = asyncio.Lock()
        self._urgent_waiting = 0
        self._no_urgent = asyncio.Event()
        self._no_urgent.set()
        self._paused_until = 0.0
        self._throttled_streak = 0
        self._in_flight = 0
        self._rate_waiters = 0  # requests waiting for a rate slot (or checking for one)

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def paused_until(self) -> float:
        return self._paused_until

    async def __aenter__(self) -> None:
        await self._slots.acquire()
        try:
            await self._take_rate_slot()
        except BaseException:
            self._slots.release()
            raise
        self._in_flight += 1

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._in_flight -= 1
        self._slots.release()

    async def _take_rate_slot(self) -> None:
        urgent = URGENT.get()
        if urgent:
            self._urgent_waiting += 1
            self._no_urgent.clear()
        self._rate_waiters += 1
        try:
            while not await self._take_in_turn(urgent=urgent):
                pass
        finally:
            self._rate_waiters -= 1
            if urgent:
                self._urgent_waiting -= 1
                if not self._urgent_waiting:
                    self._no_urgent.set()

    async def _take_in_turn(self, *, urgent: bool) -> bool:
        """True once a slot is recorded; False when this request stood aside for an urgent one."""
        if not urgent:
            while self._urgent_waiting:
                await self._no_urgent.wait()
        # One waiter at a time decides; the others queue on the lock in arrival order.
        async with self._window_lock:
            while True:
                if not urgent and self._urgent_waiting:
                    return False  # an urgent request came in meanwhile: it goes first
                now = self._clock()
                wait = max(self._paused_until - now, *(w.wait_s(now) for w in self._windows))
                if wait <= 0:
                    for window in self._windows:
                        window.record(now)
                    return True
                await self._sleep(wait)

    async def batch_turn(self) -> None:
        """Wait until one more batch request fits this realm's batch limit, and take it.

        Called before the request's own slot (``async with limiter``)."""
        async with self._batch_lock:
            while (wait := self._batches.wait_s(self._clock())) > 0:
                await self._sleep(wait)
            self._batches.record(self._clock())

    def batch_room(self) -> int:
        """Batch requests that could still start now within the realm's batch limit."""
        return self._batches.room(self._clock())

    def ready_in(self) -> float:
        """Seconds until a request could start at once (0: now); does not take a slot.
        While requests already wait for the realm's rate, one more sync would only queue
        behind them: not before the next of them could go."""
        now = self._clock()
        wait = max(0.0, self._paused_until - now, *(w.wait_s(now) for w in self._windows))
        if self._rate_waiters:
            return max(wait, 1.0 / self.per_second)
        if wait == 0.0 and self._in_flight >= self.max_in_flight:
            return 0.05  # a slot frees when a request ends: look again shortly
        return wait

    def history(self, *, wall_now: float) -> tuple[list[float], float | None]:
        """Request starts of the last minute and the 429 pause, as epoch seconds, to hand
        the realm's pacing on to the next process that serves it."""
        offset = wall_now - self._clock()
        starts = [start + offset for start in self._windows[0].starts()]
        paused = self._paused_until + offset if self._paused_until > self._clock() else None
        return starts, paused

    def restore(self, starts: list[float], paused_until: float | None, *, wall_now: float) -> None:
        """Take over the pacing another process handed on (see ``history``)."""
        offset = self._clock() - wall_now
        local = [start + offset for start in starts]
        for window in self._windows:
            window.replace(local)
        self._paused_until = paused_until + offset if paused_until is not None else 0.0

    def on_throttled(self, retry_after_s: float | None = None) -> float:
        """QBO said 429: hold every new request for this realm a while; returns the pause.

        Without a server hint the pause doubles with each 429 in a row, up to the cap.
        """
        self._throttled_streak += 1
        if retry_after_s is not None:
            pause = retry_after_s
        else:
            pause = self._throttle_pause_s * 2 ** (self._throttled_streak - 1)
        pause = min(pause, self._max_pause_s)
        self._paused_until = max(self._paused_until, self._clock() + pause)
        return pause

    def on_success(self) -> None:
        self._throttled_streak = 0


class RealmLimiters:
    """The process-wide registry: one limiter per realm, made from the settings."""

    def __init__(
        self,
        settings: QuickBooksSettings,
        *,
        per_second: int | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._settings = settings
        self._per_second = per_second
        self._clock = clock
        self._sleep = sleep
        self._limiters: dict[str, RealmLimiter] = {}

    def for_realm(self, realm_id: str) -> RealmLimiter:
        limiter = self._limiters.get(realm_id)
        if limiter is None:
            limiter = RealmLimiter(
                self._settings.max_in_flight,
                self._settings.requests_per_minute,
                per_second=self._per_second,
                batches_per_minute=self._settings.batches_per_minute,
                max_pause_s=self._settings.max_backoff_s,
                clock=self._clock,
                sleep=self._sleep,
            )
            self._limiters[realm_id] = limiter
        return limiter
