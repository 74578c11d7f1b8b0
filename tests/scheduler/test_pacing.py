"""A realm's pacing across a change of holder: handed over, or assumed after a crash."""

from __future__ import annotations

import time

import pytest

from qbsync.config import QuickBooksSettings
from qbsync.quickbooks.limiter import RealmLimiters
from qbsync.scheduler.repository import Lease
from qbsync.scheduler.runner import RealmPacing


def _pacing() -> RealmPacing:
    return RealmPacing(RealmLimiters(QuickBooksSettings()), lease_s=30.0)


class TestTakeOver:
    def test_a_clean_hand_over_restores_the_history(self) -> None:
        now = time.time()
        limiter = _pacing().take_over(Lease("111", [now - 0.5] * 10, None))
        assert limiter is not None
        assert limiter.ready_in() > 0  # the last second's ten requests still count

    def test_after_a_crash_the_unknown_third_of_a_lease_counts_as_used(self) -> None:
        now = time.time()
        # The dead holder renewed 35 s ago (its lease ended 5 s ago) with 300 requests logged.
        lease = Lease("222", [now - 40.0] * 300, None, expired_until=now - 5.0)
        limiter = _pacing().take_over(lease)
        assert limiter is not None
        starts, _ = limiter.history(wall_now=time.time())
        # + the full per-second rate over the 10 s it may have gone on sending.
        assert len(starts) == 300 + limiter.per_second * 10
        assert limiter.ready_in() == 0  # some of the minute's budget is left

    def test_an_organization_without_a_realm_has_no_limiter(self) -> None:
        assert _pacing().take_over(Lease("org:5", [], None)) is None

    def test_hand_over_of_nothing(self) -> None:
        assert RealmPacing.hand_over(None) == ([], None)


@pytest.mark.parametrize("paused_in_s", [3.0])
def test_a_throttle_pause_survives_the_hand_over(paused_in_s: float) -> None:
    limiter = _pacing().take_over(Lease("333", [], time.time() + paused_in_s))
    assert limiter is not None
    assert limiter.ready_in() == pytest.approx(paused_in_s, abs=0.1)
