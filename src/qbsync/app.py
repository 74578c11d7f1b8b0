"""The FastAPI application factory; its lifespan owns the process-wide resources."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from qbsync import __version__
from qbsync.api.body_limit import WEBHOOK_PATH, BodyLimitMiddleware
from qbsync.api.errors import install_error_handlers
from qbsync.api.intuit_webhooks import INTUIT_WEBHOOK_MAX_BYTES, INTUIT_WEBHOOK_PATH
from qbsync.api.middleware import RequestContextMiddleware
from qbsync.api.router import build_router
from qbsync.config import Settings, get_settings
from qbsync.console.router import install_console
from qbsync.logging import configure_logging
from qbsync.maintenance import run_upkeep
from qbsync.queue_side import build_runner, resume_backfills
from qbsync.resources import open_resources


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; without settings (``uvicorn qbsync.app:create_app --factory``) it reads
    them from the environment and configures logging too."""
    if settings is None:
        settings = get_settings()
        configure_logging(settings.log)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(settings) as resources:
            app.state.resources = resources
            runner = build_runner(resources) if settings.server.run_consumers else None
            scheduler = resources.scheduling.start_scheduler() if runner is not None else None
            app.state.runner = runner
            if scheduler is not None:
                await scheduler.start()
            if runner is not None:
                await runner.start()
            background = [
                asyncio.create_task(resume_backfills(resources)),
                asyncio.create_task(run_upkeep(resources)),
            ]
            try:
                yield
            finally:
                for task in background:
                    task.cancel()
                if runner is not None:
                    await runner.stop()
                if scheduler is not None:
                    await scheduler.stop(settings.amqp.shutdown_grace_s)

    app = FastAPI(
        title="qbsync",
        version=__version__,
        summary="Keeps each Aforo organization's QuickBooks Online company in step with Aforo.",
        lifespan=lifespan,
        docs_url="/docs" if settings.server.docs_enabled else None,
        redoc_url="/redoc" if settings.server.docs_enabled else None,
        openapi_url="/openapi.json" if settings.server.docs_enabled else None,
    )
    # Innermost, so that a 413 still gets CORS headers, a request id and a log line.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.server.max_body_bytes,
        path_limits={
            WEBHOOK_PATH: settings.server.webhook_max_body_bytes,
            INTUIT_WEBHOOK_PATH: INTUIT_WEBHOOK_MAX_BYTES,
        },
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors.origins,
        allow_origin_regex=settings.cors.origin_regex,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-Organization-Id", "X-Request-Id"],
        expose_headers=["X-Request-Id"],
    )
    app.add_middleware(RequestContextMiddleware)
    install_error_handlers(app)
    app.include_router(build_router())
    install_console(app)
    return app
