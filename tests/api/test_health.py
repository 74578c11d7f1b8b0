"""Health routes report each dependency honestly."""

from __future__ import annotations

import httpx
import pytest
from asgi_lifespan import LifespanManager

from qbsync.app import create_app
from qbsync.events.topology import TopologyNames
from tests.settings import make_settings

# Port 9 on loopback: nothing listens there, so connections are refused at once.
DEAD_AMQP_URL = "amqp://guest:guest@127.0.0.1:9/"
DEAD_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:9/qbsync_test"


async def _get(settings, path: str) -> httpx.Response:
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=20, shutdown_timeout=20):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://qbsync.test") as http:
            if path == "/health/ready":
                await app.state.resources.amqp.wait_connected(5)
            return await http.get(path)


class TestApiHealth:
    async def test_compat_health_shape(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/health")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "UP"
        assert body["service"] == "quickbooks-integration"
        assert body["timestamp"].endswith("+00:00")

    async def test_live(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/health/live")).json() == {"status": "UP"}

    async def test_request_id_is_echoed_or_made(self, client: httpx.AsyncClient) -> None:
        echoed = await client.get("/health/live", headers={"X-Request-Id": "abc-123"})
        assert echoed.headers["x-request-id"] == "abc-123"
        made = await client.get("/health/live", headers={"X-Request-Id": "bad id\n"})
        assert len(made.headers["x-request-id"]) == 32


class TestReadiness:
    async def test_ready_when_postgres_and_rabbitmq_are_up(self, settings) -> None:
        response = await _get(settings, "/health/ready")
        assert response.status_code == 200
        assert response.json()["checks"] == {
            "database": {"status": "UP"},
            "rabbitmq": {"status": "UP"},
        }

    async def test_rabbitmq_down_is_named_and_the_api_still_serves(self, database_url) -> None:
        settings = make_settings(db={"url": database_url}, amqp={"url": DEAD_AMQP_URL})
        app = create_app(settings)
        async with LifespanManager(app, startup_timeout=20, shutdown_timeout=20):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                ready = await http.get("/health/ready")
                health = await http.get("/api/health")
        assert ready.status_code == 503
        body = ready.json()
        assert body["checks"]["rabbitmq"]["status"] == "DOWN"
        assert body["checks"]["database"]["status"] == "UP"
        assert "rabbitmq" in body["message"]
        assert health.status_code == 200

    async def test_postgres_down_is_named(self) -> None:
        settings = make_settings(db={"url": DEAD_DATABASE_URL})
        response = await _get(settings, "/health/ready")
        assert response.status_code == 503
        body = response.json()
        assert body["checks"]["database"]["status"] == "DOWN"
        assert "database" in body["message"]


class TestMetrics:
    async def test_prometheus_exposition(self, app, client: httpx.AsyncClient) -> None:
        await client.get("/health/live")
        response = await client.get("/metrics")
        assert response.status_code == 200
        assert (
            'qbsync_http_requests_total{method="GET",route="/health/live",status="200"}'
            in response.text
        )
        amqp = app.state.resources.settings.amqp
        assert f'qbsync_queue_depth{{queue="{amqp.parking_queue}"}} 0.0' in response.text
        # Messages waiting for their retry are backlog too.
        for wait_queue in TopologyNames.from_settings(amqp).wait_queues.values():
            assert f'qbsync_queue_depth{{queue="{wait_queue}"}} 0.0' in response.text

    async def test_a_cors_preflight_is_counted_under_its_route(
        self, client: httpx.AsyncClient
    ) -> None:
        preflight = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"}
        assert (await client.options("/api/quickbooks/sync-logs/42", headers=preflight)).is_success
        text = (await client.get("/metrics")).text
        assert (
            'qbsync_http_requests_total{method="OPTIONS",route="/api/quickbooks/sync-logs/{log_id}"'
            in text
        )


class TestExposure:
    async def test_metrics_ask_for_the_token_when_one_is_set(self, database_url: str) -> None:
        settings = make_settings(db={"url": database_url}, server={"metrics_token": "scrape-me"})
        app = create_app(settings)
        async with LifespanManager(app, startup_timeout=20, shutdown_timeout=20):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                anonymous = await http.get("/metrics")
                wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
                scraper = await http.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert (anonymous.status_code, wrong.status_code) == (401, 401)
        assert scraper.status_code == 200
        assert "qbsync_http_requests_total" in scraper.text

    async def test_docs_can_be_turned_off(self, database_url: str) -> None:
        settings = make_settings(db={"url": database_url}, server={"docs_enabled": False})
        for path in ("/docs", "/openapi.json", "/redoc"):
            assert (await _get(settings, path)).status_code == 404

    async def test_docs_are_served_by_default(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/openapi.json")).status_code == 200


class TestErrors:
    async def test_unknown_route_is_json(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/nope")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"

    @pytest.mark.parametrize("origin", ["http://ui.dev.aforo.space", "http://localhost:3000"])
    async def test_cors_preflight_for_the_ui(self, client: httpx.AsyncClient, origin: str) -> None:
        response = await client.options(
            "/api/quickbooks/status",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization,content-type,x-organization-id",
            },
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == origin
        allowed = response.headers["access-control-allow-headers"].lower()
        assert {"authorization", "content-type", "x-organization-id"} <= {
            h.strip() for h in allowed.split(",")
        }

    async def test_cors_refuses_other_origins(self, client: httpx.AsyncClient) -> None:
        response = await client.options(
            "/api/quickbooks/status",
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in response.headers
