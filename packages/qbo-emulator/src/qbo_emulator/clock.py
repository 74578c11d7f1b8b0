"""Time as QBO shows it: US-Pacific timestamps with an explicit offset."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _pacific() -> tzinfo:
    # QBO renders MetaData and "time" in US-Pacific time (Java SDK issue #26). Fall back to a
    # fixed PST offset where the system has no tz database.
    try:
        return ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=-8), "PST")


PACIFIC = _pacific()


def now() -> datetime:
    return datetime.now(tz=UTC)


def _offset(moment: datetime) -> str:
    text = moment.strftime("%z")  # "-0700"
    return f"{text[:3]}:{text[3:]}"


def meta_timestamp(moment: datetime) -> str:
    """``2020-09-29T05:58:16-07:00``: the MetaData.CreateTime / LastUpdatedTime format."""
    local = moment.astimezone(PACIFIC)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + _offset(local)


def response_time(moment: datetime | None = None) -> str:
    """``2020-09-29T05:58:16.187-07:00``: the ``time`` field closing every JSON body."""
    local = (moment or now()).astimezone(PACIFIC)
    millis = f"{local.microsecond // 1000:03d}"
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f".{millis}" + _offset(local)


def epoch_millis(moment: datetime | None = None) -> int:
    """The gateway's ``time`` (the lower-case fault envelope uses epoch milliseconds)."""
    return int((moment or now()).timestamp() * 1000)


def company_today() -> date:
    """Today in the company's calendar (TxnDate defaults to the server's Pacific date)."""
    return now().astimezone(PACIFIC).date()
