"""The API's own errors, and the handlers through which every error leaves as JSON
``{error, message}`` with an honest status.

    QbsyncError
    ├── Forbidden                    403
    │   └── PdfLinkInvalid           403  a PDF link that is forged, altered or incomplete
    └── PdfLinkExpired               410  a PDF link past its expiry (AUTH)
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from qbsync.errors import ErrorCategory, Forbidden, QbsyncError

log = logging.getLogger(__name__)


class PdfLinkInvalid(Forbidden):
    code = "pdf_link_invalid"


class PdfLinkExpired(QbsyncError):
    code = "pdf_link_expired"
    status_code = 410
    category = ErrorCategory.AUTH


class ErrorField(BaseModel):
    field: str
    problem: str


class ErrorBody(BaseModel):
    """Every error answer: a stable ``error`` code, a message for people, and a hint."""

    error: str
    message: str
    hint: str | None = None
    fields: list[ErrorField] | None = None


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route answering these error statuses with ``ErrorBody``."""
    return {status: {"model": ErrorBody} for status in statuses}


# What most authenticated routes can answer besides their success.
ERRORS = errors(401, 403, 404, 422, 503)


def error_body(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": code, "message": message, **{k: v for k, v in extra.items() if v is not None}}


async def _qbsync_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QbsyncError)
    level = logging.WARNING if exc.status_code >= 500 else logging.INFO
    log.log(level, "request failed", extra={"code": exc.code, "status": exc.status_code})
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    return JSONResponse(
        error_body(exc.code, exc.message, hint=exc.hint),
        status_code=exc.status_code,
        headers=headers,
    )


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {"field": ".".join(str(p) for p in err["loc"]), "problem": err["msg"]}
        for err in exc.errors()
    ]
    return JSONResponse(
        error_body("invalid_input", "the request is not valid", fields=fields), status_code=422
    )


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    return JSONResponse(
        error_body(code.get(exc.status_code, "http_error"), str(exc.detail)),
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc)
    return JSONResponse(
        error_body("internal_error", "an unexpected error occurred"), status_code=500
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(QbsyncError, _qbsync_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
