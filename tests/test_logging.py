"""Log lines: one line per record whatever a caller puts in an id, no terminal escapes."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from qbsync.logging import ConsoleFormatter, JsonFormatter, escape_controls

FORMAT = "%(asctime)s %(levelname)-5s %(name)s: %(message)s"


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("qbsync.test", logging.INFO, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("PAY-1\n2026-01-01 INFO qbsync: forged", "PAY-1\\n2026-01-01 INFO qbsync: forged"),
        ("a\r\nb", "a\\r\\nb"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("nul\x00", "nul\\x00"),
        ("line\u2028sep", "line\\u2028sep"),
        ("c1\x85", "c1\\x85"),
        ("plain ümlaut 名前", "plain ümlaut 名前"),
    ],
)
def test_control_characters_are_escaped(raw: str, shown: str) -> None:
    assert escape_controls(raw) == shown


class TestConsoleFormatter:
    def test_a_forged_id_stays_on_one_line(self) -> None:
        formatter = ConsoleFormatter(FORMAT)
        record = _record("sync of %s failed", "PAY-1\nFAKE", payment_id="PAY-1\nFAKE ERROR")
        line = formatter.format(record)
        assert "\n" not in line
        assert "sync of PAY-1\\nFAKE failed" in line
        assert "payment_id=PAY-1\\nFAKE ERROR" in line

    def test_uvicorns_colour_message_is_not_a_field(self) -> None:
        formatter = ConsoleFormatter(FORMAT)
        record = _record("Started", color_message="\x1b[32mStarted\x1b[0m")
        line = formatter.format(record)
        assert "color_message" not in line
        assert "\x1b" not in line

    def test_a_traceback_still_follows_on_its_own_lines(self) -> None:
        formatter = ConsoleFormatter(FORMAT)
        try:
            raise ValueError("boom")
        except ValueError:
            record = logging.LogRecord(
                "qbsync.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
            )
        lines = formatter.format(record).splitlines()
        assert lines[0].endswith("failed")
        assert "ValueError: boom" in lines[-1]


def test_json_lines_leave_out_the_colour_message() -> None:
    entry = json.loads(JsonFormatter().format(_record("Started", color_message="\x1b[32mS")))
    assert "color_message" not in entry
