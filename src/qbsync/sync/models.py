"""ORM for quickbooks_mapping (Aforo id <-> QBO id) and quickbooks_sync_log (one row per attempt)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from qbsync.db.base import Base, TimestampMixin, utcnow


class EntityType(StrEnum):
    CUSTOMER = "CUSTOMER"
    INVOICE = "INVOICE"
    PAYMENT = "PAYMENT"
    ITEM = "ITEM"
    CREDIT_MEMO = "CREDITMEMO"
    REFUND = "REFUND"


class SyncAction(StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    LINK = "LINK"
    SKIP = "SKIP"
    VOID = "VOID"
    NONE = "NONE"
    # Operators' actions on parked messages.
    REPLAY = "REPLAY"
    DISCARD = "DISCARD"
    # Drift repairs a person asked for (docs/reconciliation.md).
    RECREATE = "RECREATE"
    REPUSH = "REPUSH"
    RELINK = "RELINK"
    IGNORE = "IGNORE"


class SyncStatus(StrEnum):
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    RETRYING = "RETRYING"


class SyncTrigger(StrEnum):
    EVENT = "EVENT"
    MANUAL = "MANUAL"
    WEBHOOK = "WEBHOOK"
    RETRY = "RETRY"
    BACKFILL = "BACKFILL"


class Mapping(TimestampMixin, Base):
    __tablename__ = "quickbooks_mapping"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    organization_id: Mapped[int] = mapped_column(BigInteger)
    realm_id: Mapped[str] = mapped_column(String(50))
    entity_type: Mapped[str] = mapped_column(String(32))
    aforo_id: Mapped[str] = mapped_column(String(100))
    quickbooks_id: Mapped[str] = mapped_column(String(50))
    sync_token: Mapped[str | None] = mapped_column(String(20))
    payload_hash: Mapped[str | None] = mapped_column(String(64))
    sync_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    last_synced_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    __table_args__ = (
        # realm_id is part of the key: if an organization is ever allowed to switch company,
        # ids from the old company must not be reused against the new one.
        UniqueConstraint(
            "organization_id",
            "realm_id",
            "entity_type",
            "aforo_id",
            name="uq_quickbooks_mapping_entity",
        ),
        Index(None, "organization_id", "entity_type"),
        Index(None, "realm_id", "entity_type", "quickbooks_id"),
    )


class SyncLog(Base):
    __tablename__ = "quickbooks_sync_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    # None only for a message so broken that it names no organization (it is parked).
    organization_id: Mapped[int | None] = mapped_column(BigInteger)
    realm_id: Mapped[str | None] = mapped_column(String(50))
    entity_type: Mapped[str] = mapped_column(String(32))
    aforo_id: Mapped[str] = mapped_column(String(100))
    quickbooks_id: Mapped[str | None] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    error_code: Mapped[str | None] = mapped_column(String(50))
    error_category: Mapped[str | None] = mapped_column(String(20))
    error_message: Mapped[str | None] = mapped_column(Text)
    intuit_tid: Mapped[str | None] = mapped_column(String(100))
    request_payload: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    response_payload: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    correlation_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    __table_args__ = (
        # "latest attempts of this entity"
        Index(
            "ix_quickbooks_sync_log_entity_latest",
            "organization_id",
            "entity_type",
            "aforo_id",
            "created_at",
        ),
        # "failures of this org since T"
        Index("ix_quickbooks_sync_log_org_status_time", "organization_id", "status", "created_at"),
        Index(None, "created_at"),
        Index(None, "correlation_id"),
    )
