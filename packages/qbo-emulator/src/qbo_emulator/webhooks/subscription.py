"""A webhook subscription as the control API configures it, with its delivery knobs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from qbo_emulator.webhooks.formats import Format

# Deliveries never leave the machine.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class Subscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    verifier_token: str = Field(min_length=1)
    format: Format = "cloudevents"
    # Realms whose changes are delivered; none: every realm (an app's subscription).
    realm_ids: list[str] | None = None
    # Entities delivered; none: all.
    entities: list[str] | None = None
    # Intuit batches events over realms, at most 100 per delivery.
    max_batch: int = Field(default=100, ge=1, le=100)
    # How long events gather before a delivery goes out.
    batch_window_s: float = Field(default=0.05, ge=0, le=60)
    # Knobs: extra delay before each delivery, and probabilities of sending a delivery twice,
    # of shuffling the events within it, and of losing it (never sent, never retried).
    delay_s: float = Field(default=0, ge=0, le=600)
    duplicate_rate: float = Field(default=0, ge=0, le=1)
    reorder_rate: float = Field(default=0, ge=0, le=1)
    loss_rate: float = Field(default=0, ge=0, le=1)
    # Intuit retries a delivery that is not answered 2xx; here after retry_delay_s, doubling.
    retries: int = Field(default=3, ge=0, le=10)
    retry_delay_s: float = Field(default=0.5, ge=0, le=600)
    random_seed: int | None = None
    # The ``source`` of CloudEvents names the app.
    app_id: str = "emulator-app"

    @field_validator("url")
    @classmethod
    def _local(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in LOCAL_HOSTS:
            raise ValueError("webhook deliveries go to 127.0.0.1 only")
        return url

    def wants(self, realm_id: str, entity: str) -> bool:
        realms_ok = self.realm_ids is None or realm_id in self.realm_ids
        entities_ok = self.entities is None or entity.casefold() in {
            name.casefold() for name in self.entities
        }
        return realms_ok and entities_ok


class Delivery(BaseModel):
    """One attempt to deliver a batch, as the delivery log shows it."""

    at: datetime
    events: int
    outcome: Literal["delivered", "failed", "lost"]
    status: int | None = None
    error: str | None = None
    attempt: int = 1
    duplicate: bool = False
    reordered: bool = False
