"""``EmulatorControl``: a small typed async client for the ``/_emulator`` control API."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from qbo_emulator.config import (
    ConfigPatch,
    EmulatorConfig,
    ErrorRates,
    FaultKind,
    RefreshReuse,
    ThrottleBody,
)
from qbo_emulator.control.schemas import (
    HeldRecord,
    HeldRecords,
    OAuthRequestLog,
    RealmCreate,
    RealmInfo,
    RequestLog,
    TokenIssue,
    TokensExpired,
)
from qbo_emulator.injection import FaultSpec
from qbo_emulator.realm import Environment, LoggedRequest
from qbo_emulator.tokens import TokenResponse
from qbo_emulator.webhooks.subscription import Delivery, Subscription


class EmulatorControl:
    """Drives an emulator at ``base_url`` (``http://127.0.0.1:<port>``) over ``http``."""

    def __init__(self, base_url: str, http: httpx.AsyncClient) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http

    async def _call(self, method: str, path: str, body: object | None = None) -> httpx.Response:
        response = await self.http.request(method, f"{self.base_url}/_emulator{path}", json=body)
        response.raise_for_status()
        return response

    async def reset(self) -> None:
        await self._call("POST", "/reset")

    async def create_realm(
        self,
        *,
        realm_id: str | None = None,
        company_name: str | None = None,
        environment: Environment = "sandbox",
        country: str = "US",
    ) -> RealmInfo:
        body = RealmCreate(
            realm_id=realm_id, company_name=company_name, environment=environment, country=country
        )
        response = await self._call("POST", "/realms", body.model_dump())
        return RealmInfo.model_validate(response.json())

    async def realms(self) -> list[RealmInfo]:
        response = await self._call("GET", "/realms")
        return [RealmInfo.model_validate(item) for item in response.json()]

    async def entities(self, realm_id: str, entity: str) -> list[HeldRecord]:
        """Every record of ``entity`` the realm holds, inactive, voided and deleted included."""
        response = await self._call("GET", f"/realms/{realm_id}/entities/{entity}")
        held = HeldRecords.model_validate(json.loads(response.content, parse_float=Decimal))
        return held.records

    async def live(self, realm_id: str, entity: str) -> list[HeldRecord]:
        """The records of ``entity`` that are not deleted."""
        return [
            record for record in await self.entities(realm_id, entity) if record.state != "deleted"
        ]

    async def requests(self, realm_id: str) -> list[LoggedRequest]:
        response = await self._call("GET", f"/realms/{realm_id}/requests")
        return RequestLog.model_validate(response.json()).requests

    async def oauth_requests(self) -> list[LoggedRequest]:
        """Requests to the token and revoke endpoints, credentials redacted."""
        response = await self._call("GET", "/oauth/requests")
        return OAuthRequestLog.model_validate(response.json()).requests

    async def configure(
        self,
        *,
        latency_ms: tuple[int, int] | None = None,
        max_in_flight: int | None = None,
        requests_per_minute: int | None = None,
        rates: ErrorRates | None = None,
        throttle_body: ThrottleBody | None = None,
        timeout_hold_s: float | None = None,
        lost_response_hold_s: float | None = None,
        access_token_ttl_s: int | None = None,
        random_seed: int | None = None,
        refresh_token_reuse: RefreshReuse | None = None,
        refresh_token_grace_s: int | None = None,
        redirect_uris: tuple[str, ...] | None = None,
    ) -> EmulatorConfig:
        patch = ConfigPatch(
            latency_ms=latency_ms,
            max_in_flight=max_in_flight,
            requests_per_minute=requests_per_minute,
            rates=rates,
            throttle_body=throttle_body,
            timeout_hold_s=timeout_hold_s,
            lost_response_hold_s=lost_response_hold_s,
            access_token_ttl_s=access_token_ttl_s,
            random_seed=random_seed,
            refresh_token_reuse=refresh_token_reuse,
            refresh_token_grace_s=refresh_token_grace_s,
            redirect_uris=redirect_uris,
        )
        response = await self._call(
            "PUT", "/config", patch.model_dump(mode="json", exclude_none=True)
        )
        return EmulatorConfig.model_validate(response.json())

    async def queue_fault(
        self,
        kind: FaultKind,
        *,
        realm_id: str | None = None,
        method: str | None = None,
        path_contains: str | None = None,
        count: int = 1,
        once_per_request: bool = False,
    ) -> None:
        spec = FaultSpec(
            kind=kind,
            realm_id=realm_id,
            method=method,
            path_contains=path_contains,
            count=count,
            once_per_request=once_per_request,
        )
        await self._call("POST", "/faults", spec.model_dump())

    async def expire_tokens(self, realm_id: str) -> int:
        response = await self._call("POST", f"/tokens/{realm_id}/expire")
        return TokensExpired.model_validate(response.json()).expired

    async def issue_tokens(
        self, realm_id: str, *, include_hard_expiry: bool = False
    ) -> TokenResponse:
        body = TokenIssue(realm_id=realm_id, include_hard_expiry=include_hard_expiry)
        response = await self._call("POST", "/tokens/issue", body.model_dump())
        return TokenResponse.model_validate(response.json())

    # -- "a person" in QuickBooks' UI (raises httpx.HTTPStatusError with QBO's Fault on 400)

    async def _as_person(self, realm_id: str, path: str, body: object | None = None) -> Any:
        response = await self._call("POST", f"/realms/{realm_id}/person/{path}", body)
        return json.loads(response.content, parse_float=Decimal)

    async def person_edit(
        self, realm_id: str, entity: str, record_id: str, fields: dict[str, Any]
    ) -> Any:
        """Change fields as a sparse update would; the entity as QBO now renders it."""
        return await self._as_person(realm_id, f"{entity}/{record_id}/edit", {"fields": fields})

    async def person_delete(self, realm_id: str, entity: str, record_id: str) -> Any:
        return await self._as_person(realm_id, f"{entity}/{record_id}/delete")

    async def person_void(self, realm_id: str, entity: str, record_id: str) -> Any:
        return await self._as_person(realm_id, f"{entity}/{record_id}/void")

    async def merge_customers(
        self, realm_id: str, *, merged_away_id: str, surviving_id: str
    ) -> Any:
        body = {"merged_away_id": merged_away_id, "surviving_id": surviving_id}
        return await self._as_person(realm_id, "customers/merge", body)

    # -- webhooks

    async def subscribe_webhooks(self, name: str, subscription: Subscription) -> None:
        await self._call("PUT", f"/webhooks/{name}", subscription.model_dump())

    async def webhook_deliveries(self, name: str) -> list[Delivery]:
        response = await self._call("GET", f"/webhooks/{name}/deliveries")
        return [Delivery.model_validate(item) for item in response.json()["deliveries"]]

    async def drain_webhooks(self, name: str, timeout_s: float = 10.0) -> bool:
        """Wait until everything recorded so far was delivered or given up; False on timeout."""
        response = await self.http.post(
            f"{self.base_url}/_emulator/webhooks/{name}/drain",
            params={"timeout_s": timeout_s},
            timeout=timeout_s + 5,
        )
        response.raise_for_status()
        idle: bool = response.json()["idle"]
        return idle
