"""Emulator settings: the start-up ``EmulatorConfig`` and the knobs tests change at run time."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FaultKind = Literal[
    "http_500", "http_503", "timeout", "throttle", "lost_response", "stale", "batch_item_omitted"
]
ThrottleBody = Literal["xml", "json"]
# What a refresh with an already rotated refresh token does. "grace": it still works for
# ``refresh_token_grace_s`` (Intuit's documented 24 hours); "revoke": the reuse revokes the
# whole connection (what newer reports describe, and OAuth's reuse detection).
RefreshReuse = Literal["grace", "revoke"]
# Intuit pre-registers its OAuth Playground for a new app's development keys.
PLAYGROUND_REDIRECT_URI = "https://developer.intuit.com/v2/OAuth2Playground/RedirectUrl"


class ErrorRates(BaseModel):
    """Probability (0..1) that an Accounting API request meets each kind of failure.

    ``lost_response`` only applies to writes (POST): the write is committed, then the
    connection is dropped. ``timeout`` withholds the answer without committing anything.
    """

    model_config = ConfigDict(extra="forbid")

    http_500: float = Field(default=0.0, ge=0, le=1)
    http_503: float = Field(default=0.0, ge=0, le=1)
    timeout: float = Field(default=0.0, ge=0, le=1)
    throttle: float = Field(default=0.0, ge=0, le=1)
    lost_response: float = Field(default=0.0, ge=0, le=1)


class EmulatorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    client_id: str = "emulator-client-id"
    client_secret: str = "emulator-client-secret"
    access_token_ttl_s: int = 3600
    refresh_token_ttl_s: int = 8_726_400
    # Intuit only reports the 5-year cap when asked (x-include-refresh-token-hard-expires-in).
    refresh_token_hard_ttl_s: int = 156_032_154
    authorization_code_ttl_s: int = 300
    refresh_token_reuse: RefreshReuse = "grace"
    refresh_token_grace_s: int = Field(default=86_400, ge=0)
    # The app's registered redirect URIs: authorize refuses any other, as Intuit does.
    redirect_uris: tuple[str, ...] = (PLAYGROUND_REDIRECT_URI,)
    max_in_flight: int = Field(default=10, ge=1)
    requests_per_minute: int = Field(default=500, ge=1)
    # Extra latency added to each Accounting API request, uniform in [low, high] ms.
    latency_ms: tuple[int, int] = (0, 0)
    # A default sandbox company, so the emulator is useful without any set-up call.
    seed_realm: str | None = "9130357766900001"
    seed_company_name: str = "Emulated Sandbox Co"
    error_rates: ErrorRates = Field(default_factory=ErrorRates)
    # QBO's gateway really answers 429 with an XML IntuitResponse even to Accept: json.
    throttle_body: ThrottleBody = "xml"
    # How long a "timeout" fault withholds the answer before dropping the connection.
    timeout_hold_s: float = Field(default=30.0, ge=0)
    # How long a "lost_response" fault withholds the answer (after committing) before dropping.
    lost_response_hold_s: float = Field(default=0.0, ge=0)
    # Seed for the error-rate dice, so a benchmark run can be repeated exactly.
    random_seed: int | None = None

    @model_validator(mode="after")
    def _check_latency(self) -> EmulatorConfig:
        low, high = self.latency_ms
        if low < 0 or high < low:
            raise ValueError("latency_ms must be (low, high) with 0 <= low <= high")
        return self


class ConfigPatch(BaseModel):
    """Body of ``PUT /_emulator/config``: every field is optional; absent means unchanged."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: tuple[int, int] | None = None
    max_in_flight: int | None = Field(default=None, ge=1)
    requests_per_minute: int | None = Field(default=None, ge=1)
    rates: ErrorRates | None = None
    throttle_body: ThrottleBody | None = None
    timeout_hold_s: float | None = Field(default=None, ge=0)
    lost_response_hold_s: float | None = Field(default=None, ge=0)
    access_token_ttl_s: int | None = Field(default=None, ge=1)
    random_seed: int | None = None
    refresh_token_reuse: RefreshReuse | None = None
    refresh_token_grace_s: int | None = Field(default=None, ge=0)
    redirect_uris: tuple[str, ...] | None = None

    def apply_to(self, config: EmulatorConfig) -> EmulatorConfig:
        """A new config with this patch applied (validated as a whole)."""
        changes = self.model_dump(exclude_none=True, exclude={"rates"})
        if self.rates is not None:
            changes["error_rates"] = self.rates
        return EmulatorConfig.model_validate({**config.model_dump(), **changes})
