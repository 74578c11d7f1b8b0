"""RealmLimiter: the in-flight cap, the per-minute budget (on a fake clock), 429 pauses."""

from __future__ import annotations

import asyncio

import pytest

from qbsync.config import QuickBooksSettings
from qbsync.quickbooks.limiter import RealmLimiter, RealmLimiters

from .conftest import FakeClock


async def _spin(times: int = 50) -> None:
    for _ in range(times):
        await asyncio.sleep(0)


class TestInFlight:
    async def test_cap_holds_under_50_concurrent_tasks(self) -> None:
        limiter = RealmLimiter(10, 10_000, per_second=10_000)
        gate = asyncio.Event()
        inside = 0
        peak = 0
        done = 0

        async def call() -> None:
            nonlocal inside, peak, done
            async with limiter:
                inside += 1
                peak = max(peak, inside)
                await gate.wait()
                inside -= 1
            done += 1

        tasks = [asyncio.create_task(call()) for _ in range(50)]
        await _spin()
        # Exactly ten got in; forty are waiting for a slot.
        assert inside == 10
        assert limiter.in_flight == 10
        assert done == 0
        gate.set()
        await asyncio.gather(*tasks)
        assert peak == 10
        assert done == 50
        assert limiter.in_flight == 0

    async def test_slot_is_released_on_error(self) -> None:
        limiter = RealmLimiter(1, 100)
        with pytest.raises(RuntimeError):
            async with limiter:
                raise RuntimeError("request failed")
        async with limiter:
            assert limiter.in_flight == 1
        assert limiter.in_flight == 0

    async def test_cancelled_waiter_gives_back_its_slot(self) -> None:
        clock = FakeClock()
        never = asyncio.Event()
        blocking = True

        async def sleep(seconds: float) -> None:
            if blocking:
                await never.wait()
            await clock.sleep(seconds)

        limiter = RealmLimiter(1, 1, clock=clock, sleep=sleep)
        async with limiter:
            pass
        # The budget is spent: this waiter holds the only in-flight slot while it waits.
        waiter = asyncio.create_task(limiter.__aenter__())
        await _spin()
        assert not waiter.done()
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        blocking = False

        async def call() -> None:
            async with limiter:
                pass

        follower = asyncio.create_task(call())
        await _spin()
        # Had the cancelled waiter kept the slot, this call would still be queued.
        assert follower.done()
        await follower
        assert limiter.in_flight == 0

    def test_limits_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="at least 1"):
            RealmLimiter(0, 10)
        with pytest.raises(ValueError, match="at least 1"):
            RealmLimiter(10, 0)
        with pytest.raises(ValueError, match="at least 1"):
            RealmLimiter(10, 10, per_second=0)


class TestPerMinute:
    async def test_budget_holds_in_every_window(self) -> None:
        clock = FakeClock()
        limiter = RealmLimiter(100, 5, per_second=100, clock=clock, sleep=clock.sleep)
        starts: list[float] = []

        async def call() -> None:
            async with limiter:
                starts.append(clock())

        await asyncio.gather(*(call() for _ in range(12)))
        assert sorted(starts) == [0.0] * 5 + [60.0] * 5 + [120.0] * 2
        for start in starts:
            assert sum(1 for s in starts if start <= s < start + 60) <= 5

    async def test_steady_throughput_reaches_the_limit(self) -> None:
        clock = FakeClock()
        limiter = RealmLimiter(10, 500, per_second=500, clock=clock, sleep=clock.sleep)

        async def call() -> None:
            async with limiter:
                await asyncio.sleep(0)

        await asyncio.gather(*(call() for _ in range(1500)))
        # 1500 requests at 500/min: the third window opens at 120 s; no time is wasted.
        assert clock.now == 120.0

    async def test_default_spreads_the_minute_over_seconds(self) -> None:
        clock = FakeClock()
        limiter = RealmLimiter(10, 120, clock=clock, sleep=clock.sleep)
        assert limiter.per_second == 2
        starts: list[float] = []

        async def call() -> None:
            async with limiter:
                starts.append(clock())

        await asyncio.gather(*(call() for _ in range(9)))
        assert starts == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0]

    @pytest.mark.parametrize(
        ("per_minute", "per_second"), [(500, 9), (600, 10), (6000, 10), (60, 1), (1, 1)]
    )
    def test_default_per_second_respects_qbo_cap(self, per_minute: int, per_second: int) -> None:
        assert RealmLimiter(10, per_minute).per_second == per_second

    async def test_both_windows_hold(self) -> None:
        clock = FakeClock()
        limiter = RealmLimiter(100, 500, clock=clock, sleep=clock.sleep)
        starts: list[float] = []

        async def call() -> None:
            async with limiter:
                starts.append(clock())

        await asyncio.gather(*(call() for _ in range(1100)))
        for start in starts:
            assert sum(1 for s in starts if start <= s < start + 1) <= 9
            assert sum(1 for s in starts if start <= s < start + 60) <= 500
        # 9 per second until the minute's 500 are used (55.x s), then the next minute.
        assert max(starts) < 180.0

    async def test_window_slides(self) -> None:
        clock = FakeClock()
        limiter = RealmLimiter(10, 2, clock=clock, sleep=clock.sleep)
        async with limiter:
            pass
        clock.now = 30.0
        async with limiter:
            pass
        # The third request may start when the first one leaves the window, at 60 s.
        async with limiter:
            assert clock() == 60.0
        async with limiter:
            assert clock() == 90.0


class TestThrottled:
    async def test_pause_doubles_then_resets(self) -> None:
        clock = FakeClock()
        limiter = RealmLimiter(
            10, 500, throttle_pause_s=2.0, max_pause_s=5.0, clock=clock, sleep=clock.sleep
        )
        assert limiter.on_throttled() == 2.0
        async with limiter:
            assert clock() == 2.0
        assert limiter.on_throttled() == 4.0
        async with limiter:
            assert clock() == 6.0
        assert limiter.on_throttled() == 5.0  # capped
        limiter.on_success()
        assert limiter.on_throttled() == 2.0

    async def test_server_hint_wins(self) -> None:
        clock = FakeClock()
        limiter = RealmLimiter(10, 500, max_pause_s=30.0, clock=clock, sleep=clock.sleep)
        assert limiter.on_throttled(retry_after_s=12.0) == 12.0
        assert limiter.paused_until == 12.0
        async with limiter:
            assert clock() == 12.0


class TestRealmLimiters:
    def test_one_limiter_per_realm_from_settings(self) -> None:
        settings = QuickBooksSettings(max_in_flight=4, requests_per_minute=120)
        limiters = RealmLimiters(settings)
        first = limiters.for_realm("111")
        assert limiters.for_realm("111") is first
        other = limiters.for_realm("222")
        assert other is not first
        assert (first.max_in_flight, first.per_minute, first.per_second) == (4, 120, 2)
        assert RealmLimiters(settings, per_second=7).for_realm("111").per_second == 7


class TestBatches:
    async def test_at_most_the_batch_limit_per_minute_on_top_of_the_request_limits(self) -> None:
        clock = FakeClock()
        limiter = RealmLimiter(
            10, 500, per_second=10, batches_per_minute=40, clock=clock, sleep=clock.sleep
        )
        starts: list[float] = []
        for _ in range(90):
            await limiter.batch_turn()
            async with limiter:
                starts.append(clock.now)
        assert max(sum(1 for s in starts if t <= s < t + 60) for t in starts) == 40
        # 90 batches: 40 at once, 40 a minute later, the last 10 a minute after that.
        assert starts[-1] == pytest.approx(120.0, abs=1.0)
