"""ORM for quickbooks_settings_change: who changed an organization's mapping settings, and how."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from qbsync.db.base import Base, utcnow


class SettingsChange(Base):
    __tablename__ = "quickbooks_settings_change"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    organization_id: Mapped[int] = mapped_column(BigInteger)
    realm_id: Mapped[str] = mapped_column(String(50))
    changed_by: Mapped[str | None] = mapped_column(String(255))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # {field: {"from": old, "to": new}} for the fields that changed.
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB)

    __table_args__ = (Index(None, "organization_id", "changed_at"),)
