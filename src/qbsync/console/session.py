"""Who is signed in to the console: the JWT the API takes, held in an HttpOnly, SameSite=Strict
cookie (nothing the API would not accept anyway), and the CSRF token bound to it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from starlette.responses import Response

from qbsync.console.client import ApiClient, ApiError, api_client
from qbsync.resources import Resources

COOKIE = "qbsync_console"
# Before sign-in: binds the sign-in form to this browser (no login CSRF).
PRE_COOKIE = "qbsync_console_pre"
CSRF_FIELD = "csrf"
MAX_FORM_BYTES = 16_384


class SignInRequired(Exception):
    """No usable session: the person is sent to the sign-in page."""

    def __init__(self, reason: str | None = None) -> None:
        self.reason = reason
        super().__init__(reason or "sign in")


class CsrfRefused(Exception):
    """A POST without the session's CSRF token."""


@dataclass(frozen=True)
class Person:
    organization_id: int | None
    subject: str | None
    operator: bool


@dataclass(frozen=True)
class Console:
    """One console request: who asks, their API client and their CSRF token."""

    person: Person
    api: ApiClient
    csrf: str


def _key(request: Request) -> bytes:
    resources: Resources = request.app.state.resources
    secret = resources.settings.jwt_secret.get_secret_value().encode()
    return hmac.new(secret, b"qbsync console csrf", hashlib.sha256).digest()


def csrf_for(request: Request, session_value: str) -> str:
    """A per-session token: an HMAC of the session cookie's value, so nothing is stored."""
    return hmac.new(_key(request), session_value.encode(), hashlib.sha256).hexdigest()


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session(response: Response, request: Request, token: str) -> None:
    # A browser-session cookie: it goes when the browser closes, or earlier when the JWT expires.
    response.set_cookie(
        COOKIE, token, httponly=True, secure=_secure(request), samesite="strict", path="/console"
    )
    response.delete_cookie(PRE_COOKIE, path="/console")


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/console")


def pre_session_value(request: Request) -> str:
    """Binds the sign-in form to this browser before anyone is signed in (no login CSRF)."""
    return request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)


def set_pre_session(response: Response, request: Request, value: str) -> None:
    response.set_cookie(
        PRE_COOKIE,
        value,
        httponly=True,
        secure=_secure(request),
        samesite="strict",
        path="/console",
    )


async def read_form(request: Request) -> dict[str, str]:
    """A small urlencoded form (the console's only kind)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise CsrfRefused("form too large")
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def check_csrf(request: Request, form: dict[str, str], session_value: str) -> None:
    sent = form.get(CSRF_FIELD) or request.headers.get("x-csrf-token") or ""
    if not hmac.compare_digest(sent, csrf_for(request, session_value)):
        raise CsrfRefused("the form's CSRF token does not match this session")


async def console(request: Request) -> AsyncIterator[Console]:
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInRequired()
    async with api_client(request.app, token, request.headers) as api:
        me = await api.call("GET", "/me")
        if me.status == 401:
            raise SignInRequired("Your session has expired or its token is no longer valid.")
        if not me.ok:
            raise ApiError(me.status, me.body)
        person = Person(
            organization_id=me.body.get("organizationId"),
            subject=me.body.get("subject"),
            operator=bool(me.body.get("operator")),
        )
        yield Console(person=person, api=api, csrf=csrf_for(request, token))


ConsoleDep = Annotated[Console, Depends(console)]


async def posted(request: Request, _ctx: ConsoleDep) -> dict[str, str]:
    """The form of a console action, after its CSRF token was checked."""
    form = await read_form(request)
    check_csrf(request, form, request.cookies.get(COOKIE, ""))
    return form


FormDep = Annotated[dict[str, str], Depends(posted)]
