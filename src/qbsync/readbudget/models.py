"""ORM for quickbooks_read_usage: billable reads per month, organization and kind."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, String, func
from sqlalchemy.orm import Mapped, mapped_column

from qbsync.db.base import Base, utcnow

# Reads made for no organization (checking a new grant's company before it is saved).
NO_ORGANIZATION = 0


class ReadUsage(Base):
    """One counter row; every process adds its reads to it (``reads = reads + n``)."""

    __tablename__ = "quickbooks_read_usage"

    # The first day of the calendar month (UTC) the reads were made in.
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    organization_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # query, read, report, pdf, cdc
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    reads: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), default=utcnow, onupdate=utcnow
    )
