"""Answers "why is this record not in QuickBooks, and what do I do?" from the facts qbsync
holds about it: the connection, the mapping, the latest attempts and any parked message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from qbsync.connections.models import ConnectionStatus, QuickBooksConnection
from qbsync.sync.models import Mapping, SyncLog, SyncStatus


class Verdict(StrEnum):
    SYNCED = "SYNCED"
    FAILING = "FAILING"
    RETRYING = "RETRYING"
    PARKED = "PARKED"
    NEVER_SEEN = "NEVER_SEEN"
    NOT_IN_AFORO = "NOT_IN_AFORO"
    NOT_CONNECTED = "NOT_CONNECTED"
    NEEDS_REAUTH = "NEEDS_REAUTH"
    MISSING_IN_QUICKBOOKS = "MISSING_IN_QUICKBOOKS"


@dataclass(frozen=True)
class ParkedFact:
    message_id: str
    reason: str | None
    error_code: str | None
    parked_at: datetime | None


@dataclass(frozen=True)
class Diagnosis:
    verdict: Verdict
    next_steps: list[str]


def diagnose(
    *,
    connection: QuickBooksConnection | None,
    mapping: Mapping | None,
    attempts: list[SyncLog],
    parked: list[ParkedFact],
    exists_in_quickbooks: bool | None,
    exists_in_aforo: bool | None = None,
) -> Diagnosis:
    """``attempts`` newest first; ``exists_in_*`` None when it could not be checked."""
    latest = attempts[0] if attempts else None
    if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
        return Diagnosis(
            Verdict.NOT_CONNECTED,
            [
                "Connect QuickBooks for this organization (Integrations → QuickBooks → Connect).",
                "Then retry the record: POST /api/quickbooks/sync-logs/{id}/retry or the manual sync route.",
            ],
        )
    if connection.status == ConnectionStatus.NEEDS_REAUTH:
        return Diagnosis(
            Verdict.NEEDS_REAUTH,
            [
                "Intuit no longer accepts the saved authorization: reconnect QuickBooks.",
                "Then replay parked messages (POST /api/quickbooks/dead-letters/replay).",
            ],
        )
    if mapping is not None and exists_in_quickbooks is False:
        return Diagnosis(
            Verdict.MISSING_IN_QUICKBOOKS,
            [
                f"QuickBooks record {mapping.quickbooks_id} is gone (deleted or made inactive in QuickBooks).",
                _recreate_step(mapping),
            ],
        )
    if mapping is None and exists_in_aforo is False:
        return Diagnosis(
            Verdict.NOT_IN_AFORO,
            [
                "Aforo answers 404 for this id: it does not know the record, so there is "
                "nothing to sync yet.",
                "Check the id and the organization (X-Organization-Id); if Aforo creates it "
                "later, its event syncs it, or retry it then.",
            ],
        )
    if parked:
        first = parked[0]
        return Diagnosis(
            Verdict.PARKED,
            [
                f"A message for it is parked ({first.reason}, {first.error_code}).",
                _fix_for(latest),
                f"Then replay it: POST /api/quickbooks/dead-letters/{first.message_id}/replay.",
            ],
        )
    if mapping is not None and (
        latest is None or latest.status in (SyncStatus.SUCCESS, SyncStatus.SKIPPED)
    ):
        return Diagnosis(
            Verdict.SYNCED, [f"Nothing to do: it is QuickBooks record {mapping.quickbooks_id}."]
        )
    if latest is None:
        return Diagnosis(
            Verdict.NEVER_SEEN,
            [
                "qbsync has never been asked to sync it: no event, webhook or manual sync arrived.",
                "Check that the Aforo service published the event, or sync it now with the manual sync route.",
            ],
        )
    if latest.status == SyncStatus.RETRYING:
        return Diagnosis(
            Verdict.RETRYING,
            [
                f"The last attempt failed temporarily ({latest.error_code}); it is retried automatically.",
                "If it keeps failing, it will be parked; watch /dead-letters.",
            ],
        )
    return Diagnosis(
        Verdict.FAILING,
        [_fix_for(latest), f"Then retry: POST /api/quickbooks/sync-logs/{latest.id}/retry."],
    )


def _fix_for(latest: SyncLog | None) -> str:
    if latest is None or not latest.error_message:
        return "Read the error of its latest attempt."
    return f"Fix the cause: {latest.error_message}"


def _recreate_step(mapping: Mapping) -> str:
    resync = f"POST /api/quickbooks/records/{mapping.entity_type}/{mapping.aforo_id}/resync"
    if mapping.entity_type == "INVOICE":
        return (
            f"Force a resync to create it again ({resync}, or Force resync in the console); "
            "with Intuit's webhooks configured qbsync does it by itself (docs/reconciliation.md)."
        )
    return f"Make it active again in QuickBooks, then force a resync ({resync})."
