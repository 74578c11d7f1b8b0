"""The collector settings ``qbsync serve`` and ``worker`` start with (qbsync/heap.py), in a
process of their own so the test run keeps CPython's defaults."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import gc, json
from qbsync import heap
before = gc.get_freeze_count()
heap.settle()
cycle = []
cycle.append(cycle)  # a cycle made after start-up is still collected
del cycle
print(json.dumps({"before": before, "frozen": gc.get_freeze_count(),
                  "threshold": gc.get_threshold(), "collected": gc.collect()}))
"""


def test_settle_freezes_the_start_up_heap_and_collects_young_objects_less_often() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], check=True, capture_output=True, text=True
    ).stdout
    probe = json.loads(out)
    assert probe["before"] == 0
    assert probe["frozen"] > 1000  # the imported modules' objects
    assert probe["threshold"][0] == 20_000
    assert probe["collected"] >= 1
