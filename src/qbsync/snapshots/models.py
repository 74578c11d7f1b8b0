"""ORM for quickbooks_record_snapshot: a record as QuickBooks last answered qbsync."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from qbsync.db.base import Base, utcnow


class RecordSnapshot(Base):
    __tablename__ = "quickbooks_record_snapshot"

    realm_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    quickbooks_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    # The entity's JSON as QuickBooks answered it, money with its exact digits (not JSONB,
    # whose numbers would go through floats on the way back to the UI).
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), default=utcnow, onupdate=utcnow
    )
