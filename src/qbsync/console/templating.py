"""Jinja2 templates of the console, its filters, and the one place its sections are listed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from qbsync import __version__

# The console's sections, in navigation order.
SECTIONS = (
    ("connection", "Connection"),
    ("settings", "Settings"),
    ("records", "Records"),
    ("work", "Work"),
    ("activity", "Activity"),
    ("drift", "Drift"),
)


def _parse(value: str | datetime | None) -> datetime | None:
    if not value:  # None, "" or a field the answer does not have
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def when(value: str | datetime | None) -> str:
    moment = _parse(value)
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def ago(value: str | datetime | None, now: datetime | None = None) -> str:
    """``3 min ago`` / ``in 2 h``: how far a moment is from now."""
    moment = _parse(value)
    if moment is None:
        return "—"
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    for size, unit in ((86_400, "d"), (3_600, "h"), (60, "min")):
        if seconds >= size:
            amount = f"{int(seconds // size)} {unit}"
            break
    else:
        if seconds < 5:
            return "just now"
        amount = f"{int(seconds)} s"
    return f"in {amount}" if future else f"{amount} ago"


def due(value: str | datetime | None, now: datetime | None = None) -> str:
    """When work runs next: ``in 2 min``, or ``due now`` once its time has come."""
    moment = _parse(value)
    if moment is None:
        return "—"
    return "due now" if moment <= (now or datetime.now(UTC)) else ago(moment, now)


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("qbsync.console", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["ago"] = ago
    env.filters["due"] = due
    env.globals["sections"] = SECTIONS
    env.globals["version"] = __version__
    return env


templates = Jinja2Templates(env=_environment())


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)
