"""What a sync attempt ended with, as the routes, consumers and retries read it."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from qbsync.errors import QbsyncError
from qbsync.sync.models import SyncAction, SyncStatus


@dataclass(frozen=True)
class SyncResult:
    entity_type: str
    aforo_id: str
    status: SyncStatus
    action: SyncAction
    quickbooks_id: str | None
    message: str
    log_id: int | None = None
    error: QbsyncError | None = None

    @property
    def ok(self) -> bool:
        return self.status in (SyncStatus.SUCCESS, SyncStatus.SKIPPED)

    @property
    def retryable(self) -> bool:
        return self.error is not None and self.error.retryable


@dataclass(frozen=True)
class Written:
    """The outcome of the write step of one entity, before it is logged."""

    action: SyncAction
    quickbooks_id: str | None
    message: str
    request: BaseModel | None = None
    response: BaseModel | None = None
    # What a person should read in the sync log even though it worked (why it waits, a
    # tax difference).
    note: str | None = None
