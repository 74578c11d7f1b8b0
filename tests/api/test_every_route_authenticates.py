"""Every route but the public ones refuses a missing, expired or wrongly signed token."""

from __future__ import annotations

import re

from tests.tokens import make_jwt

PUBLIC = {
    "/api/health",
    "/health/live",
    "/health/ready",
    "/metrics",
    "/api/quickbooks/callback",
    # The tab the UI opens: it needs a live, unopened state (tests/connections/test_oauth_flow.py).
    "/api/quickbooks/connect/start",
    "/api/quickbooks/webhook/invoice-created",
    # Signed links work without headers; an unsigned one is refused (tests/api/test_invoices.py).
    "/api/quickbooks/invoices/{qbo_id}/pdf",
}
BAD_TOKENS = {
    "missing": None,
    "expired": make_jwt(7, ttl_s=-300),
    "wrong key": make_jwt(7, secret="some-other-secret-of-at-least-32-bytes"),
    "malformed": "not-a-jwt",
}


async def test_every_protected_route_refuses_bad_tokens(app, client) -> None:
    # The OpenAPI description lists every route the app serves (the contract clients see).
    routes = sorted(
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/") and path not in PUBLIC
        for method in operations
    )
    assert len(routes) > 20
    let_through = []
    for method, path in routes:
        url = re.sub(r"\{[^}]+\}", "1", path)
        for name, token in BAD_TOKENS.items():
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = await client.request(method, url, headers=headers)
            if response.status_code != 401:
                let_through.append((method, path, name, response.status_code))
    assert let_through == []
