"""ORM for quickbooks_backfill_job: the plan of one backfill and how far publishing got."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from qbsync.db.base import Base, TimestampMixin


class BackfillStatus(StrEnum):
    PUBLISHING = "PUBLISHING"  # events are being queued (resumable from ``published``)
    RUNNING = "RUNNING"  # every event is queued; the consumers are working through them
    DONE = "DONE"  # every target has a final outcome in the sync log
    FAILED = "FAILED"  # planning failed (e.g. an Aforo service was down); see ``error``


class BackfillJob(TimestampMixin, Base):
    __tablename__ = "quickbooks_backfill_job"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    organization_id: Mapped[int] = mapped_column(BigInteger)
    entities: Mapped[str] = mapped_column(String(50))
    date_from: Mapped[datetime | None]
    date_to: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20))
    # The fixed plan: [{"type": "CUSTOMER", "id": "5"}, ...]; publishing walks it in order.
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    total: Mapped[int] = mapped_column(Integer, default=0)
    published: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index(None, "organization_id", "status"),)
