"""QBO's per-realm throttle: at most N requests in flight and M per sliding minute (429/3001)."""

from __future__ import annotations

import time
from collections import defaultdict, deque

WINDOW_S = 60.0


class RealmLimiter:
    """Counts admitted requests per realm. Refused requests do not count against the window."""

    def __init__(self) -> None:
        self._in_flight: dict[str, int] = defaultdict(int)
        self._window: dict[str, deque[float]] = defaultdict(deque)

    def try_enter(self, realm_id: str, *, max_in_flight: int, per_minute: int) -> bool:
        now = time.monotonic()
        window = self._window[realm_id]
        while window and window[0] <= now - WINDOW_S:
            window.popleft()
        if self._in_flight[realm_id] >= max_in_flight or len(window) >= per_minute:
            return False
        self._in_flight[realm_id] += 1
        window.append(now)
        return True

    def leave(self, realm_id: str) -> None:
        self._in_flight[realm_id] = max(0, self._in_flight[realm_id] - 1)

    def in_flight(self, realm_id: str) -> int:
        return self._in_flight[realm_id]

    def reset(self) -> None:
        self._in_flight.clear()
        self._window.clear()
