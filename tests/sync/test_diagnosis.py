"""Every verdict of ``diagnose``, and which fact wins when several hold, as one table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from qbsync.connections.models import ConnectionStatus, QuickBooksConnection
from qbsync.sync.diagnosis import ParkedFact, Verdict, diagnose
from qbsync.sync.models import Mapping, SyncLog, SyncStatus

ACTIVE = ConnectionStatus.ACTIVE
PARKED = ParkedFact("msg-9", "attempts_exhausted", "quickbooks_unavailable", datetime.now(UTC))


@dataclass(frozen=True)
class Facts:
    connection: ConnectionStatus | None = ACTIVE
    mapped: bool = False
    attempts: tuple[SyncStatus, ...] = ()  # newest first
    parked: bool = False
    exists_in_quickbooks: bool | None = None
    exists_in_aforo: bool | None = None
    says: tuple[str, ...] = field(default=())  # fragments the next steps must contain


def _attempt(n: int, status: SyncStatus) -> SyncLog:
    failed = status in (SyncStatus.FAILED, SyncStatus.RETRYING)
    return SyncLog(
        id=100 + n,
        status=status,
        error_code="quickbooks_validation_failed" if failed else None,
        error_message="the line amount is wrong" if failed else None,
    )


CASES: dict[str, tuple[Facts, Verdict]] = {
    "Aforo answers 404 and it was never synced": (
        Facts(exists_in_aforo=False, says=("Aforo answers 404",)),
        Verdict.NOT_IN_AFORO,
    ),
    "Aforo's 404 wins over the retries waiting for it": (
        Facts(exists_in_aforo=False, attempts=(SyncStatus.RETRYING,), parked=True),
        Verdict.NOT_IN_AFORO,
    ),
    "synced before, gone from Aforo since": (
        Facts(mapped=True, exists_in_aforo=False, attempts=(SyncStatus.SUCCESS,)),
        Verdict.SYNCED,
    ),
    "no connection at all": (Facts(connection=None), Verdict.NOT_CONNECTED),
    "disconnected, even if synced before": (
        Facts(ConnectionStatus.DISCONNECTED, mapped=True, attempts=(SyncStatus.SUCCESS,)),
        Verdict.NOT_CONNECTED,
    ),
    "needs reauth wins over a parked message": (
        Facts(ConnectionStatus.NEEDS_REAUTH, parked=True, says=("reconnect QuickBooks",)),
        Verdict.NEEDS_REAUTH,
    ),
    "mapped but gone from QuickBooks": (
        Facts(mapped=True, exists_in_quickbooks=False, attempts=(SyncStatus.SUCCESS,)),
        Verdict.MISSING_IN_QUICKBOOKS,
    ),
    "gone from QuickBooks wins over a parked message": (
        Facts(mapped=True, exists_in_quickbooks=False, parked=True),
        Verdict.MISSING_IN_QUICKBOOKS,
    ),
    "parked, with the latest attempt's error as the fix": (
        Facts(
            attempts=(SyncStatus.FAILED,),
            parked=True,
            says=("dead-letters/msg-9/replay", "the line amount is wrong", "attempts_exhausted"),
        ),
        Verdict.PARKED,
    ),
    "parked without any attempt": (
        Facts(parked=True, says=("Read the error of its latest attempt",)),
        Verdict.PARKED,
    ),
    "parked wins over an existing mapping": (
        Facts(mapped=True, attempts=(SyncStatus.SUCCESS,), parked=True),
        Verdict.PARKED,
    ),
    "mapped, latest attempt succeeded": (
        Facts(mapped=True, attempts=(SyncStatus.SUCCESS, SyncStatus.FAILED)),
        Verdict.SYNCED,
    ),
    "mapped, latest attempt skipped": (
        Facts(mapped=True, attempts=(SyncStatus.SKIPPED,)),
        Verdict.SYNCED,
    ),
    "mapped, no attempt logged (purged), QuickBooks unreachable": (
        Facts(mapped=True, exists_in_quickbooks=None, says=("QuickBooks record 42",)),
        Verdict.SYNCED,
    ),
    "mapped, confirmed in QuickBooks": (
        Facts(mapped=True, exists_in_quickbooks=True),
        Verdict.SYNCED,
    ),
    "never seen, though Aforo has it": (
        Facts(exists_in_aforo=True, says=("never been asked",)),
        Verdict.NEVER_SEEN,
    ),
    "retrying": (
        Facts(attempts=(SyncStatus.RETRYING, SyncStatus.RETRYING), says=("retried automatically",)),
        Verdict.RETRYING,
    ),
    "failed": (
        Facts(attempts=(SyncStatus.FAILED,), says=("sync-logs/101/retry", "the line amount")),
        Verdict.FAILING,
    ),
    "mapped but the latest update failed": (
        Facts(mapped=True, attempts=(SyncStatus.FAILED, SyncStatus.SUCCESS)),
        Verdict.FAILING,
    ),
    "mapped but the latest update is retrying": (
        Facts(mapped=True, attempts=(SyncStatus.RETRYING, SyncStatus.SUCCESS)),
        Verdict.RETRYING,
    ),
}


@pytest.mark.parametrize(("facts", "verdict"), list(CASES.values()), ids=list(CASES))
def test_verdict(facts: Facts, verdict: Verdict) -> None:
    connection = (
        None
        if facts.connection is None
        else QuickBooksConnection(organization_id=1, realm_id="9130", status=facts.connection)
    )
    found = diagnose(
        connection=connection,
        mapping=Mapping(quickbooks_id="42") if facts.mapped else None,
        attempts=[_attempt(n, status) for n, status in enumerate(facts.attempts, start=1)],
        parked=[PARKED] if facts.parked else [],
        exists_in_quickbooks=facts.exists_in_quickbooks,
        exists_in_aforo=facts.exists_in_aforo,
    )
    assert found.verdict is verdict
    assert found.next_steps
    steps = " ".join(found.next_steps)
    for fragment in facts.says:
        assert fragment in steps


def test_the_table_covers_every_verdict() -> None:
    assert {verdict for _, verdict in CASES.values()} == set(Verdict)
