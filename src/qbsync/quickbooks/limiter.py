"""Per-realm request limits: at most N in flight and M per minute, slowed down after a 429.

QBO throttles per app and realm: 10 concurrent requests and 500 per minute (Intuit blog
2016-08-08); above that it answers 429 / fault 3001. Staying under the limits ourselves
keeps a busy tenant from throttling itself. Limits are per process (see architecture §11).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType

from qbsync.config import QuickBooksSettings

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class RealmLimiter:
    """Async context manager around each HTTP request to one realm.

    The in-flight slot is taken before the rate slot, so a request's start time is recorded
    right before it is sent; the window is a sliding log of start times, which allows
    steady throughput right up to the limit and never above it in any ``window_s`` span.
    """

    def __init__(
        self,
        max_in_flight: int,
        per_minute: int,
        *,
        window_s: float = 60.0,
        throttle_pause_s: float = 1.0,
        max_pause_s: float = 30.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if max_in_flight < 1 or per_minute < 1:
            raise ValueError("limits must be at least 1")
        self.max_in_flight = max_in_flight
        self.per_minute = per_minute
        self._window_s = window_s
        self._throttle_pause_s = throttle_pause_s
        self._max_pause_s = max_pause_s
        self._clock = clock
        self._sleep = sleep
        self._slots = asyncio.Semaphore(max_in_flight)
        self._window_lock = asyncio.Lock()
        self._starts: deque[float] = deque()
        self._paused_until = 0.0
        self._throttled_streak = 0
        self._in_flight = 0

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
        # One waiter at a time decides; the others queue on the lock in arrival order.
        async with self._window_lock:
            while True:
                now = self._clock()
                while self._starts and self._starts[0] <= now - self._window_s:
                    self._starts.popleft()
                wait = self._paused_until - now
                if len(self._starts) >= self.per_minute:
                    wait = max(wait, self._starts[0] + self._window_s - now)
                if wait <= 0:
                    self._starts.append(now)
                    return
                await self._sleep(wait)

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
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._sleep = sleep
        self._limiters: dict[str, RealmLimiter] = {}

    def for_realm(self, realm_id: str) -> RealmLimiter:
        limiter = self._limiters.get(realm_id)
        if limiter is None:
            limiter = RealmLimiter(
                self._settings.max_in_flight,
                self._settings.requests_per_minute,
                max_pause_s=self._settings.max_backoff_s,
                clock=self._clock,
                sleep=self._sleep,
            )
            self._limiters[realm_id] = limiter
        return limiter
