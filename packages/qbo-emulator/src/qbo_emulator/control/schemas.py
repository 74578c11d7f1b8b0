"""Request and response models of the ``/_emulator`` control API (shared with its client)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from qbo_emulator.realm import Environment, LoggedRequest, RecordState


class RealmCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    realm_id: str | None = None
    company_name: str | None = None
    environment: Environment = "sandbox"
    # CompanyInfo.Country: "US" (automated sales tax) or another ISO code (a tax code per line).
    country: str = Field(default="US", pattern=r"^[A-Z]{2}$")


class RealmInfo(BaseModel):
    realm_id: str
    company_name: str
    environment: Environment


class HeldRecord(BaseModel):
    """One stored entity as the emulator holds it, whatever its state."""

    id: str
    sync_token: str
    state: RecordState
    # The entity as a read would render it (JSON-shaped; money as Decimal when parsed so).
    body: dict[str, Any]


class HeldRecords(BaseModel):
    realm_id: str
    entity: str
    records: list[HeldRecord]


class RequestLog(BaseModel):
    realm_id: str
    requests: list[LoggedRequest]


class OAuthRequestLog(BaseModel):
    requests: list[LoggedRequest]


class TokenIssue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    realm_id: str
    include_hard_expiry: bool = False


class TokensExpired(BaseModel):
    realm_id: str
    expired: int
