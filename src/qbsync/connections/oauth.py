"""Intuit OAuth 2.0 over our shared httpx client; authlib builds the protocol messages."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from pydantic import BaseModel, SecretStr, ValidationError

from qbsync.config import QuickBooksSettings
from qbsync.connections.errors import (
    OAuthInvalidGrant,
    OAuthRejected,
    OAuthUnavailable,
)

log = logging.getLogger(__name__)


class TokenSet(BaseModel):
    """Intuit's token response (quickbooks-api.md §1.5)."""

    access_token: SecretStr
    refresh_token: SecretStr
    expires_in: int
    x_refresh_token_expires_in: int | None = None
    x_refresh_token_hard_expires_in: int | None = None

    def access_expires_at(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.expires_in)

    def refresh_expires_at(self, now: datetime) -> datetime | None:
        if self.x_refresh_token_expires_in is None:
            return None
        return now + timedelta(seconds=self.x_refresh_token_expires_in)

    def hard_expires_at(self, now: datetime) -> datetime | None:
        if self.x_refresh_token_hard_expires_in is None:
            return None
        return now + timedelta(seconds=self.x_refresh_token_hard_expires_in)


class IntuitOAuth:
    def __init__(self, http: httpx.AsyncClient, settings: QuickBooksSettings) -> None:
        self._http = http
        self._settings = settings

    @property
    def _auth(self) -> httpx.BasicAuth:
        return httpx.BasicAuth(
            self._settings.client_id, self._settings.client_secret.get_secret_value()
        )

    def authorize_url(self, state: str) -> str:
        url: str = prepare_grant_uri(
            str(self._settings.authorize_url),
            self._settings.client_id,
            "code",
            redirect_uri=str(self._settings.redirect_uri),
            scope=self._settings.scope,
            state=state,
        )
        return url

    async def exchange_code(self, code: str) -> TokenSet:
        body = prepare_token_request(
            "authorization_code", code=code, redirect_uri=str(self._settings.redirect_uri)
        )
        return await self._token_request(body, grant="authorization_code")

    async def refresh(self, refresh_token: str) -> TokenSet:
        body = prepare_token_request("refresh_token", refresh_token=refresh_token)
        return await self._token_request(body, grant="refresh_token")

    async def revoke(self, token: str) -> None:
        try:
            response = await self._http.post(
                str(self._settings.revoke_url),
                json={"token": token},
                auth=self._auth,
                headers={"Accept": "application/json"},
            )
        except httpx.TransportError as exc:
            raise OAuthUnavailable(f"Intuit's revoke endpoint is unreachable: {exc}") from None
        # 400 here means the token is already invalid, which is what revoking wants.
        if response.status_code >= 500:
            raise OAuthUnavailable(f"Intuit's revoke endpoint answered {response.status_code}")

    async def _token_request(self, body: str, *, grant: str) -> TokenSet:
        try:
            response = await self._http.post(
                str(self._settings.token_url),
                content=body,
                auth=self._auth,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json",
                    # Ask for the 5-year hard cap so that it can be reported before it bites.
                    "x-include-refresh-token-hard-expires-in": "true",
                },
            )
        except httpx.TransportError as exc:
            raise OAuthUnavailable(f"Intuit's token endpoint is unreachable: {exc}") from None
        tid = response.headers.get("intuit_tid")
        if response.status_code >= 500:
            raise OAuthUnavailable(f"Intuit's token endpoint answered {response.status_code}")
        if response.status_code != 200:
            error = _error_code(response)
            log.info(
                "oauth token request refused",
                extra={"grant": grant, "error": error, "intuit_tid": tid},
            )
            if error == "invalid_grant":
                raise OAuthInvalidGrant("Intuit refused the grant (invalid_grant)")
            raise OAuthRejected(f"Intuit's token endpoint refused the request: {error}")
        try:
            return TokenSet.model_validate_json(response.content)
        except ValidationError:
            raise OAuthRejected("Intuit's token endpoint answered without tokens") from None


def _error_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"http_{response.status_code}"
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return f"http_{response.status_code}"
