"""ORM for quickbooks_connection and quickbooks_oauth_state."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from qbsync.db.base import Base, TimestampMixin


class ConnectionStatus(StrEnum):
    ACTIVE = "ACTIVE"
    NEEDS_REAUTH = "NEEDS_REAUTH"
    DISCONNECTED = "DISCONNECTED"


class QuickBooksConnection(TimestampMixin, Base):
    """One row per organization. Tokens are Fernet ciphertext, never plain text."""

    __tablename__ = "quickbooks_connection"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    organization_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    realm_id: Mapped[str] = mapped_column(String(50))
    environment: Mapped[str] = mapped_column(String(16))
    company_name: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default=ConnectionStatus.ACTIVE)
    access_token_encrypted: Mapped[str | None] = mapped_column(Text)
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    access_token_expires_at: Mapped[datetime | None]
    refresh_token_expires_at: Mapped[datetime | None]
    refresh_token_hard_expires_at: Mapped[datetime | None]
    connected_at: Mapped[datetime | None]
    disconnected_at: Mapped[datetime | None]
    last_refreshed_at: Mapped[datetime | None]
    last_sync_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")

    __table_args__ = (Index(None, "realm_id"),)


class OAuthState(Base):
    """A one-time OAuth ``state``: only its SHA-256 is stored, bound to one organization,
    the user who asked for it and, once its start link is opened, to that browser (the
    SHA-256 of the nonce in the browser's cookie)."""

    __tablename__ = "quickbooks_oauth_state"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    organization_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[str | None] = mapped_column(String(255))
    browser_hash: Mapped[str | None] = mapped_column(String(64))
    # Started by an operator who lets the organization share a company already connected.
    allow_shared_company: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]

    __table_args__ = (Index(None, "expires_at"),)
