"""ORM for pending work, the lease of each realm, and the results manual callers wait for."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from qbsync.db.base import Base, TimestampMixin, utcnow


class Priority(IntEnum):
    """Lower runs first."""

    INTERACTIVE = 0  # a person waits for the answer: manual sync routes, operator retries
    EVENT = 1  # Aforo events and metering's webhook
    BULK = 2  # backfills and reconciliation


class WorkState(StrEnum):
    PENDING = "PENDING"  # waiting for its run_at and its realm's turn
    RUNNING = "RUNNING"  # claimed by the realm's leaseholder
    PARKED = "PARKED"  # failed for good or out of attempts: an operator replays or discards it


class PendingWork(TimestampMixin, Base):
    __tablename__ = "quickbooks_pending_work"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    organization_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    aforo_id: Mapped[str] = mapped_column(String(100))
    # The realm whose lease and limits govern this work; "org:<id>" while not connected.
    lane: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(SmallInteger)
    state: Mapped[str] = mapped_column(String(10), default=WorkState.PENDING)
    run_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    # Attempts whose outcome was recorded; a crash or an outage mid-attempt does not count.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(Integer)
    # Times it was taken to run: bounds work that kills its process every time.
    claims: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    trigger: Mapped[str] = mapped_column(String(20))
    correlation_id: Mapped[str | None] = mapped_column(String(100))
    # Kind-specific facts the sync may use instead of asking Aforo (a payment event's data).
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))
    # Requests merged into this one while it was pending.
    coalesced: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A manual caller waits: the next attempt's result is kept for it.
    keep_result: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    park_reason: Mapped[str | None] = mapped_column(String(40))
    error_code: Mapped[str | None] = mapped_column(String(50))
    error_category: Mapped[str | None] = mapped_column(String(20))
    error_message: Mapped[str | None] = mapped_column(Text)
    last_log_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        # Coalescing: one pending row per record; a record being run may get a new one.
        Index(
            "uq_quickbooks_pending_work_pending_key",
            "organization_id",
            "kind",
            "aforo_id",
            unique=True,
            postgresql_where=text("state = 'PENDING'"),
        ),
        Index(None, "lane", "state", "priority", "run_at"),
        Index(None, "organization_id", "kind", "aforo_id"),
        Index(None, "state", "priority", "created_at"),
    )


class RealmLease(Base):
    """One row per realm: who serves it until when, when it was last served, and the
    limiter's recent history so that the next holder keeps pacing where this one stopped."""

    __tablename__ = "quickbooks_realm_lease"

    lane: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column()
    last_served_at: Mapped[datetime | None] = mapped_column()
    # Epoch seconds of the requests started in the last minute, and a 429 pause.
    recent_starts: Mapped[list[float]] = mapped_column(
        ARRAY(Float), default=list, server_default="{}"
    )
    paused_until: Mapped[float | None] = mapped_column(Float)


class WorkResult(Base):
    """The outcome of an attempt a manual caller waits for (purged after a few minutes)."""

    __tablename__ = "quickbooks_work_result"

    work_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


class SentBatchItem(Base):
    """A create that went out in a batch request: which request, and its item's ``bId``
    there. A repeat of the create sends that request again, since only the very same
    request is answered from QuickBooks' replay store (``quickbooks/batching.py``)."""

    __tablename__ = "quickbooks_batch_item_sent"

    realm_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(50), primary_key=True)  # the create's own
    batch_request_id: Mapped[str] = mapped_column(String(36))
    b_id: Mapped[str] = mapped_column(String(14))
    # QBO's answer to the batch request left the item out: its outcome is unknown.
    unanswered: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    sent_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    __table_args__ = (Index(None, "sent_at"),)
