"""Request-body limits: an oversized body is refused before (or while) it is read."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.tokens import auth_headers

WEBHOOK = "/api/quickbooks/webhook/invoice-created"
CHUNK = b"x" * 1024


class Body:
    """A streamed request body that counts how much of itself was read."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.total:
            self.sent += len(CHUNK)
            yield CHUNK


class TestDeclaredLength:
    @pytest.mark.parametrize(
        ("url", "authorized"),
        [(WEBHOOK, False), ("/api/quickbooks/sync/customer?customerId=1", True)],
    )
    async def test_refused_without_reading_the_body(self, client, url: str, authorized) -> None:
        body = Body(64 * 1024 * 1024)
        headers = auth_headers(7) if authorized else {"Content-Type": "application/json"}
        response = await client.post(
            url, content=body, headers={**headers, "Content-Length": str(body.total)}
        )
        assert response.status_code == 413, response.text
        assert response.json()["error"] == "body_too_large"
        assert body.sent <= len(CHUNK)  # at most what the transport pre-reads

    async def test_a_body_a_little_over_the_limit_is_read_before_the_refusal(self, client) -> None:
        # Closing on an unread body resets the connection, and the client may lose the 413.
        body = Body(120 * 1024)
        response = await client.post(
            WEBHOOK,
            content=body,
            headers={"Content-Type": "application/json", "Content-Length": str(body.total)},
        )
        assert response.status_code == 413, response.text
        assert body.sent == body.total

    async def test_a_length_that_is_no_number_is_a_400(self, client) -> None:
        response = await client.post(
            WEBHOOK,
            content=b"{}",
            headers={"Content-Length": "-5", "Content-Type": "application/json"},
        )
        assert response.status_code == 400


class TestChunked:
    async def test_webhook_stream_is_cut_at_its_limit(self, client, settings) -> None:
        body = Body(64 * 1024 * 1024)
        response = await client.post(
            WEBHOOK, content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json()["error"] == "body_too_large"
        assert body.sent <= settings.server.webhook_max_body_bytes + 2 * len(CHUNK)

    async def test_other_routes_are_cut_at_the_app_limit(self, client, settings) -> None:
        body = Body(8 * 1024 * 1024)
        response = await client.post(
            "/api/quickbooks/backfill", content=body, headers=auth_headers(7)
        )
        assert response.status_code == 413
        assert body.sent <= settings.server.max_body_bytes + 2 * len(CHUNK)

    async def test_a_body_within_the_limit_still_reaches_the_route(self, client) -> None:
        # 20 KB is too much for the webhook but fine elsewhere: the route answers, not the cap.
        response = await client.post(
            "/api/quickbooks/sync/customer",
            content=b'{"customerId": "abc", "pad": "' + b"x" * 20_000 + b'"}',
            headers=auth_headers(7),
        )
        assert response.status_code == 422
        assert response.json()["error"] != "body_too_large"
