"""Health routes: the original's /api/health, liveness, readiness (Postgres + RabbitMQ), metrics."""

from __future__ import annotations

import asyncio
import hmac
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, SecretStr
from sqlalchemy import text

from qbsync.api.deps import ResourcesDep
from qbsync.errors import Unauthorized
from qbsync.events.gauges import sample_queues
from qbsync.metrics import REGISTRY
from qbsync.reconcile.gauges import sample_drift
from qbsync.resources import Resources
from qbsync.scheduler.gauges import sample_pending

router = APIRouter(tags=["health"])

CHECK_TIMEOUT_S = 2.0


class ApiHealth(BaseModel):
    status: str
    service: str
    timestamp: str


class Live(BaseModel):
    status: str


class Check(BaseModel):
    status: str
    error: str | None = None


class Readiness(BaseModel):
    """``checks`` per dependency; ``message`` names what is down (503)."""

    status: str
    checks: dict[str, Check]
    message: str | None = None


@router.get("/api/health", response_model=ApiHealth)
async def api_health(resources: ResourcesDep) -> ApiHealth:
    return ApiHealth(
        status="UP",
        service=resources.settings.service_name,
        timestamp=datetime.now(UTC).isoformat(),
    )


@router.get("/health/live", response_model=Live)
async def live() -> Live:
    return Live(status="UP")


async def _check_database(resources: Resources) -> dict[str, Any]:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S), resources.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # readiness reports any failure, whatever its kind
        return {"status": "DOWN", "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"status": "UP"}


def _check_broker(resources: Resources) -> dict[str, Any]:
    if resources.amqp.is_connected:
        return {"status": "UP"}
    return {"status": "DOWN", "error": "not connected to RabbitMQ; reconnecting in the background"}


@router.get("/health/ready", response_model=Readiness, responses={503: {"model": Readiness}})
async def ready(resources: ResourcesDep) -> JSONResponse:
    checks = {"database": await _check_database(resources), "rabbitmq": _check_broker(resources)}
    down = [name for name, check in checks.items() if check["status"] != "UP"]
    body: dict[str, Any] = {"status": "DOWN" if down else "UP", "checks": checks}
    if down:
        body["message"] = "not ready: " + ", ".join(down) + " down"
    return JSONResponse(body, status_code=503 if down else 200)


def _may_scrape(request: Request, token: SecretStr | None) -> bool:
    if token is None:
        return True
    offered = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    return hmac.compare_digest(offered.encode(), token.get_secret_value().encode())


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, resources: ResourcesDep) -> Response:
    if not _may_scrape(request, resources.settings.server.metrics_token):
        raise Unauthorized("/metrics needs the bearer token set in QBSYNC_SERVER__METRICS_TOKEN")
    await sample_queues(resources.amqp, resources.settings.amqp)
    await sample_pending(resources.sessionmaker)
    await sample_drift(resources.sessionmaker)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
