"""What the request logs keep of a request: headers and body, with every credential redacted.

Tests and people read the logs (``GET /_emulator/realms/{realm}/requests``,
``GET /_emulator/oauth/requests``) to see exactly what a client sent; a log must never hand
out a usable token or secret, so those keep only their last four characters.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request

from qbo_emulator import clock
from qbo_emulator.realm import LoggedRequest

# Form/JSON fields of the OAuth endpoints that carry credentials.
SECRET_FIELDS = frozenset({"code", "refresh_token", "access_token", "client_secret", "token"})
# Headers worth seeing (what the client asked for and who it says it is).
KEPT_HEADERS = ("accept", "content-type", "user-agent", "x-include-refresh-token-hard-expires-in")
MAX_BODY_CHARS = 200_000


def redact(value: str) -> str:
    return f"<redacted …{value[-4:]}>" if len(value) > 8 else "<redacted>"


def _headers(request: Request) -> dict[str, str]:
    kept = {name: request.headers[name] for name in KEPT_HEADERS if name in request.headers}
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme:
        kept["authorization"] = f"{scheme} {redact(credentials.strip())}"
    return kept


def _redacted_body(raw: bytes) -> str:
    """A form or JSON body with its credential fields redacted; other text as it came."""
    text = raw.decode("utf-8", errors="replace")
    try:
        loaded = json.loads(text)
    except ValueError:
        loaded = None
    if isinstance(loaded, dict):
        return json.dumps(
            {k: redact(str(v)) if k in SECRET_FIELDS else v for k, v in loaded.items()}
        )
    pairs = parse_qsl(text, keep_blank_values=True)
    if pairs and any(key in SECRET_FIELDS for key, _ in pairs):
        return urlencode([(k, redact(v) if k in SECRET_FIELDS else v) for k, v in pairs])
    return text


async def logged(request: Request, *, status: int = 0, redact_body: bool = False) -> LoggedRequest:
    raw = await request.body()
    body: str | None = None
    if raw:
        body = _redacted_body(raw) if redact_body else raw.decode("utf-8", errors="replace")
        body = body[:MAX_BODY_CHARS]
    return LoggedRequest(
        method=request.method,
        path=request.url.path,
        query=request.url.query,
        requestid=request.query_params.get("requestid"),
        status=status,
        at=clock.now(),
        headers=_headers(request),
        body=body,
    )
