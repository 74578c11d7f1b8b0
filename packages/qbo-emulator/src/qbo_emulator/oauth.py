"""Intuit OAuth 2.0 endpoints: discovery, consent page, token endpoint (code, refresh), revoke."""

from __future__ import annotations

import base64
import binascii
import html
import json
from importlib import resources
from string import Template
from typing import Annotated
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from qbo_emulator import gateway
from qbo_emulator.injection import DroppedResponse, withhold
from qbo_emulator.requestlog import logged
from qbo_emulator.state import EmulatorState, get_state
from qbo_emulator.tokens import ACCOUNTING_SCOPE, TokenError, TokenResponse

router = APIRouter(include_in_schema=False)
StateDep = Annotated[EmulatorState, Depends(get_state)]
TOKEN_PATH = "/oauth2/v1/tokens/bearer"
REVOKE_PATH = "/v2/oauth2/tokens/revoke"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _redirect(redirect_uri: str, params: dict[str, str]) -> RedirectResponse:
    parts = urlsplit(redirect_uri)
    query = [*parse_qsl(parts.query), *params.items()]
    return RedirectResponse(urlunsplit(parts._replace(query=urlencode(query))), status_code=302)


def _error_page(message: str) -> HTMLResponse:
    body = f"<!doctype html><title>Error</title><h1>Something went wrong</h1><p>{html.escape(message)}</p>"
    return HTMLResponse(body, status_code=400)


def _check_authorize(state: EmulatorState, params: dict[str, str]) -> Response | None:
    """An error answer for a bad authorization request, or None when it may proceed."""
    if params.get("client_id") != state.config.client_id:
        return _error_page("The client_id is not registered with this app.")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in state.config.redirect_uris:
        # Never redirected to (RFC 6749 §4.1.2.1); Intuit's words on its error page.
        return _error_page(
            "The redirect_uri query parameter value is invalid. Make sure it is listed in the "
            "Redirect URIs section on your app's keys tab and matches it exactly."
        )
    echo = {"state": params.get("state", "")}
    if params.get("response_type", "code") != "code":
        return _redirect(redirect_uri, {"error": "unsupported_response_type", **echo})
    if ACCOUNTING_SCOPE not in params.get("scope", "").split():
        return _redirect(redirect_uri, {"error": "invalid_scope", **echo})
    return None


DISCOVERY_PATHS = (
    "/.well-known/openid_sandbox_configuration",
    "/.well-known/openid_configuration",
)


def _discovery(request: Request) -> JSONResponse:
    """Intuit's OpenID discovery document (quickbooks-api.md §1.1), pointing at this emulator
    as the client reached it, so that Intuit's own OAuth libraries can be configured with it."""
    base = str(request.base_url).rstrip("/")
    return JSONResponse(
        {
            "issuer": f"{base}/op/v1",
            "authorization_endpoint": f"{base}/connect/oauth2",
            "token_endpoint": f"{base}{TOKEN_PATH}",
            "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
            "revocation_endpoint": f"{base}{REVOKE_PATH}",
            "jwks_uri": f"{base}/op/v1/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        }
    )


for _path in DISCOVERY_PATHS:
    # Intuit's SDKs ask with and without the trailing slash.
    router.add_api_route(_path, _discovery, methods=["GET"])
    router.add_api_route(f"{_path}/", _discovery, methods=["GET"])


@router.get("/op/v1/jwks")
async def jwks() -> JSONResponse:
    # The emulator signs no id_token, so it publishes no key.
    return JSONResponse({"keys": []})


@router.get("/connect/oauth2")
async def authorize_page(state: StateDep, request: Request) -> Response:
    params = dict(request.query_params)
    if "response_type" not in params:
        params["response_type"] = ""
    refused = _check_authorize(state, params)
    if refused is not None:
        return refused
    options = "\n".join(
        f'    <label><input type="radio" name="realm_id" value="{html.escape(realm.realm_id)}"'
        f"{' checked' if index == 0 else ''}> {html.escape(realm.company_name)} "
        f'<span class="env">{realm.environment} · {html.escape(realm.realm_id)}</span></label>'
        for index, realm in enumerate(state.realms.values())
    )
    template = Template(
        resources.files("qbo_emulator").joinpath("templates/consent.html").read_text()
    )
    page = template.substitute(
        client_id=html.escape(params["client_id"]),
        redirect_uri=html.escape(params["redirect_uri"]),
        state=html.escape(params.get("state", "")),
        scope=html.escape(params.get("scope", "")),
        realm_options=options,
        new_checked="" if state.realms else " checked",
    )
    return HTMLResponse(page)


async def _form(request: Request) -> dict[str, str]:
    # Parsed by hand: form-urlencoded only, and no python-multipart dependency.
    return dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))


@router.post("/connect/oauth2/consent")
async def consent(state: StateDep, request: Request) -> Response:
    form = await _form(request)
    refused = _check_authorize(state, form)
    if refused is not None:
        return refused
    redirect_uri, echo = form["redirect_uri"], {"state": form.get("state", "")}
    if form.get("decision") != "allow":
        return _redirect(redirect_uri, {"error": "access_denied", **echo})
    realm_id = form.get("realm_id", "new")
    if realm_id == "new":
        realm_id = state.add_realm(environment="sandbox").realm_id
    elif realm_id not in state.realms:
        return _error_page(f"Unknown company {realm_id}.")
    code = state.tokens.issue_code(
        client_id=form["client_id"],
        redirect_uri=redirect_uri,
        realm_id=realm_id,
        scope=form["scope"],
    )
    return _redirect(redirect_uri, {"code": code, **echo, "realmId": realm_id})


def _client(state: EmulatorState, request: Request, form: dict[str, str]) -> str | None:
    """The authenticated client id (client_secret_basic or client_secret_post), else None."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
    else:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    config = state.config
    if client_id == config.client_id and secret == config.client_secret:
        return client_id
    return None


def _oauth_error(error: str, description: str | None = None, status: int = 400) -> JSONResponse:
    body = (
        {"error": error}
        if description is None
        else {"error": error, "error_description": description}
    )
    return JSONResponse(body, status_code=status, headers=NO_STORE)


def _grant(state: EmulatorState, form: dict[str, str], client_id: str, hard: bool) -> TokenResponse:
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        if not form.get("code") or not form.get("redirect_uri"):
            raise TokenError("invalid_request", "code and redirect_uri are required")
        return state.tokens.exchange_code(
            form["code"],
            client_id=client_id,
            redirect_uri=form["redirect_uri"],
            include_hard_expiry=hard,
        )
    if grant_type == "refresh_token":
        if not form.get("refresh_token"):
            raise TokenError("invalid_request", "refresh_token is required")
        return state.tokens.refresh(
            form["refresh_token"], client_id=client_id, include_hard_expiry=hard
        )
    raise TokenError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")


async def _logged_oauth(state: EmulatorState, request: Request, answer: Response) -> Response:
    dropped = isinstance(answer, DroppedResponse)
    entry = await logged(request, status=0 if dropped else answer.status_code, redact_body=True)
    if dropped:
        entry.fault = "dropped"  # an injected timeout or lost response
    state.oauth_log.append(entry)
    return answer


@router.post(TOKEN_PATH)
async def token(state: StateDep, request: Request) -> Response:
    return await _logged_oauth(state, request, await _token_answer(state, request))


async def _token_answer(state: EmulatorState, request: Request) -> Response:
    form = await _form(request)
    client_id = _client(state, request, form)
    if client_id is None:
        return _oauth_error("invalid_client", status=401)
    # Faults aimed at the token endpoint (path_contains set, realm_id unset) test refresh
    # under failure, e.g. a rotation whose answer is lost.
    fault = state.injector.take(realm_id=None, method="POST", path=TOKEN_PATH, named_only=True)
    if fault in ("http_500", "http_503"):
        return (
            gateway.service_unavailable()
            if fault == "http_503"
            else _oauth_error("server_error", status=500)
        )
    if fault == "timeout":
        await withhold(state.config.timeout_hold_s, state.closing)
        return DroppedResponse()
    hard = request.headers.get("x-include-refresh-token-hard-expires-in", "").lower() == "true"
    try:
        issued = _grant(state, form, client_id, hard)
    except TokenError as exc:
        return _oauth_error(exc.error, exc.description, exc.status)
    if fault == "lost_response":
        # The rotation happened; the client never learns the new refresh token.
        await withhold(state.config.lost_response_hold_s, state.closing)
        return DroppedResponse()
    return JSONResponse(issued.model_dump(exclude_none=True), headers=NO_STORE)


@router.post(REVOKE_PATH)
async def revoke(state: StateDep, request: Request) -> Response:
    return await _logged_oauth(state, request, await _revoke_answer(state, request))


async def _revoke_answer(state: EmulatorState, request: Request) -> Response:
    raw = await request.body()
    form: dict[str, str] = {}
    try:
        loaded = json.loads(raw) if raw else {}
        form = (
            {key: str(value) for key, value in loaded.items()} if isinstance(loaded, dict) else {}
        )
    except (json.JSONDecodeError, UnicodeDecodeError):
        form = dict(parse_qsl(raw.decode("utf-8", errors="replace")))
    if _client(state, request, form) is None:
        return _oauth_error("invalid_client", status=401)
    if not form.get("token"):
        return _oauth_error("invalid_request", "token is required")
    # RFC 7009: an unknown or already revoked token is not an error.
    state.tokens.revoke(form["token"])
    return Response(status_code=200)
