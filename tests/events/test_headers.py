"""Reading x-qbsync-* headers back whatever a publisher put there, copying them for a
republish, and the redacted body excerpt that parked messages and the sync log keep."""

from __future__ import annotations

import pytest

from qbsync.events import headers as h

READ: dict[str, tuple[object, str | None, int | None]] = {
    "absent": (None, None, None),
    "int": (3, "3", 3),
    "digit string": (" 7 ", " 7 ", 7),
    "bytes (AMQP longstr)": (b"12", "12", 12),
    "invalid utf-8 bytes": (b"\xff1", "\ufffd1", None),
    "boolean is not a number": (True, "True", None),
    "unicode digits are not a number": ("\u0663", "\u0663", None),
    "negative": ("-1", "-1", None),
    "a table": ({"a": 1}, None, None),
    "an array": ([1], None, None),
}


@pytest.mark.parametrize(("value", "text", "number"), list(READ.values()), ids=list(READ))
def test_read_back(value: object, text: str | None, number: int | None) -> None:
    headers = None if value is None else {"x": value}
    assert h.header_str(headers, "x") == text
    assert h.header_int(headers, "x") == number


def test_copy_drops_what_it_is_told_and_the_brokers_own() -> None:
    copied = h.copy_headers(
        {
            "x-death": [{"count": 1}],
            "x-delivery-count": 2,
            h.PARK_REASON: "attempts_exhausted",
            h.TRIGGER: "WEBHOOK",
            "__TypeId__": b"com.aforo.Event",
            "nested": {"a": 1},
            "none": None,
        },
        drop=h.PARK_HEADERS,
    )
    assert copied == {
        h.TRIGGER: "WEBHOOK",
        "__TypeId__": b"com.aforo.Event",
        "nested": "{'a': 1}",
        "none": None,
    }


CLIP: dict[str, tuple[str, int, str]] = {
    "short stays": ("abc", 5, "abc"),
    "at the limit stays": ("abcde", 5, "abcde"),
    "long is cut with an ellipsis": ("abcdef", 5, "abcd…"),
}


@pytest.mark.parametrize(("text", "limit", "clipped"), list(CLIP.values()), ids=list(CLIP))
def test_clip(text: str, limit: int, clipped: str) -> None:
    assert h.clip(text, limit) == clipped
    assert len(h.clip(text, limit)) <= limit


JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
EXCERPT: dict[str, tuple[bytes, int, str]] = {
    "plain body": (b'{"invoiceId": 7}', 100, '{"invoiceId": 7}'),
    "secret values": (
        b'{"accessToken": "abc", "client_secret":"s\\"x", "amount": "9.50"}',
        200,
        '{"accessToken": "***", "client_secret":"***", "amount": "9.50"}',
    ),
    "a secret cut off at the end": (b'{"refresh_token": "abcdef', 200, '{"refresh_token": "***"'),
    "a bare JWT": (f"Bearer {JWT} end".encode(), 200, "Bearer *** end"),
    "bounded in bytes": (b"x" * 50, 10, "x" * 10),
    "never a broken character": ("é".encode() * 6, 5, "éé"),
    "invalid utf-8 is replaced": (b"a\xffb", 10, "a\ufffdb"),
}


@pytest.mark.parametrize(("body", "limit", "excerpt"), list(EXCERPT.values()), ids=list(EXCERPT))
def test_body_excerpt(body: bytes, limit: int, excerpt: str) -> None:
    found = h.body_excerpt(body, limit)
    assert found == excerpt
    assert len(found.encode()) <= limit
