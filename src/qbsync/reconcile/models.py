"""ORM for what reconciliation keeps: webhook events already taken (dedup), what qbsync last
learned of each QuickBooks record, the CDC cursor per organization, and drift mismatches."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Numeric, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from qbsync.db.base import Base, TimestampMixin, utcnow


class WebhookReceipt(Base):
    """One row per webhook event taken: a duplicate or replayed delivery finds its events here
    and creates no work again. Purged after ``RECEIPTS_KEPT`` (events that old are refused)."""

    __tablename__ = "quickbooks_webhook_receipt"

    event_key: Mapped[str] = mapped_column(String(48), primary_key=True)
    realm_id: Mapped[str] = mapped_column(String(50))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    __table_args__ = (Index(None, "received_at"),)


class RemoteStatus(StrEnum):
    ACTIVE = "ACTIVE"
    VOIDED = "VOIDED"
    DELETED = "DELETED"  # deleted, or made inactive (name lists)
    MERGED = "MERGED"  # a customer merged into another (``merged_into``)


class RemoteRecord(TimestampMixin, Base):
    """What qbsync last learned of a QuickBooks record from a read, a webhook or CDC: its
    status and, for invoices, total and balance (which follow payments applied in QuickBooks)."""

    __tablename__ = "quickbooks_remote_record"

    realm_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    quickbooks_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    sync_token: Mapped[str | None] = mapped_column(String(20))
    total: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    balance: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    merged_into: Mapped[str | None] = mapped_column(String(50))
    last_updated_at: Mapped[datetime | None] = mapped_column()


class SweepCursor(TimestampMixin, Base):
    """Where the next CDC sweep of an organization's company starts."""

    __tablename__ = "quickbooks_sweep_cursor"

    organization_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    realm_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    changed_since: Mapped[datetime] = mapped_column()
    last_swept_at: Mapped[datetime | None] = mapped_column()
    last_changes: Mapped[int] = mapped_column(default=0, server_default="0")


class MismatchKind(StrEnum):
    MISSING_IN_QUICKBOOKS = "MISSING_IN_QUICKBOOKS"  # synced once, now gone (deleted)
    NOT_IN_QUICKBOOKS = "NOT_IN_QUICKBOOKS"  # never synced
    UNKNOWN_TO_AFORO = "UNKNOWN_TO_AFORO"  # in QuickBooks, no Aforo record maps to it
    AMOUNT = "AMOUNT"
    LINES = "LINES"
    CUSTOMER = "CUSTOMER"
    DATES = "DATES"
    STATUS = "STATUS"  # voided in QuickBooks, or not voided though VOID in Aforo


class Repair(StrEnum):
    RECREATE = "RECREATE"
    REPUSH = "REPUSH"
    RELINK = "RELINK"
    IGNORE = "IGNORE"
    REVIEW = "REVIEW"  # nothing qbsync can do by itself: a person decides in QuickBooks


class MismatchState(StrEnum):
    OPEN = "OPEN"
    IGNORED = "IGNORED"
    RESOLVED = "RESOLVED"


class Mismatch(TimestampMixin, Base):
    """One typed difference between Aforo and QuickBooks for one record, with the repair
    suggested; kept so that an ignore (with its reason) outlives the next report."""

    __tablename__ = "quickbooks_drift_mismatch"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    organization_id: Mapped[int] = mapped_column(BigInteger)
    realm_id: Mapped[str] = mapped_column(String(50))
    entity_type: Mapped[str] = mapped_column(String(32))
    # The Aforo id, or ``qbo:<id>`` for a record unknown to Aforo.
    record_key: Mapped[str] = mapped_column(String(100))
    aforo_id: Mapped[str | None] = mapped_column(String(100))
    quickbooks_id: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(32))
    aforo_value: Mapped[str | None] = mapped_column(Text)
    quickbooks_value: Mapped[str | None] = mapped_column(Text)
    suggested_repair: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10), default=MismatchState.OPEN)
    reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))  # REPORT, WEBHOOK, SWEEP
    resolved_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        UniqueConstraint(
            "organization_id",
            "realm_id",
            "entity_type",
            "record_key",
            "kind",
            name="uq_quickbooks_drift_mismatch_record",
        ),
        Index(None, "organization_id", "state"),
    )
