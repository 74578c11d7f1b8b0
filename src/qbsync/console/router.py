"""Mounts the console on the app: its pages, its static files and its error pages."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from qbsync.console import activity, connection, drift, records, settings, signin, work
from qbsync.console.client import ApiError
from qbsync.console.session import CsrfRefused, SignInRequired, clear_session
from qbsync.console.templating import render
from qbsync.console.trends import install_sampler

PREFIX = "/console"


def _signed_out(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    target = f"{PREFIX}/sign-in?next={quote(request.url.path)}"
    if exc.reason:
        target += "&expired=1"
    if request.headers.get("hx-request"):
        # htmx follows this header with a full page load.
        response: Response = Response(status_code=204, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    clear_session(response)
    return response


def _error_page(request: Request, exc: Exception) -> Response:
    hint: str | None
    if isinstance(exc, CsrfRefused):
        status, title, message, hint = 403, "Refused", str(exc), "Reload the page and try again."
    else:
        assert isinstance(exc, ApiError)
        status, title, message, hint = exc.status, exc.error, exc.message, exc.hint
    # A region refreshed in place (htmx names its target) gets the error alone, not a page.
    template = "error_region.html" if request.headers.get("hx-target") else "error.html"
    return render(
        request,
        template,
        {"status": status, "title": title, "message": message, "hint": hint, "org": None},
        status_code=status,
    )


def install_console(app: FastAPI) -> None:
    for feature in (signin, connection, settings, records, work, activity, drift):
        app.include_router(feature.router, prefix=PREFIX, include_in_schema=False)
    app.mount(
        f"{PREFIX}/static",
        StaticFiles(packages=[("qbsync.console", "static")]),
        name="console-static",
    )
    app.add_exception_handler(SignInRequired, _signed_out)
    app.add_exception_handler(ApiError, _error_page)
    app.add_exception_handler(CsrfRefused, _error_page)
    install_sampler(app)
