"""What one sync needs: its unit of work, the organization's connection and collaborators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.aforo.billing import BillingClient
from qbsync.aforo.orgs import OrgClient
from qbsync.aforo.payments import PaymentClient
from qbsync.aforo.rateplans import RatePlanClient
from qbsync.connections.access import QuickBooksAccess
from qbsync.connections.models import QuickBooksConnection
from qbsync.connections.schemas import ConnectionSettings
from qbsync.db.shared import shared
from qbsync.quickbooks.batching import stepping_aside
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.sync import repository, sync_log
from qbsync.sync.models import Mapping, SyncTrigger


@dataclass(frozen=True)
class AforoClients:
    orgs: OrgClient
    billing: BillingClient
    rate_plans: RatePlanClient
    payments: PaymentClient


@dataclass(frozen=True)
class SyncDeps:
    """Process-wide collaborators, built once by the boundary (API lifespan, worker)."""

    quickbooks: QuickBooksAccess
    aforo: AforoClients


@dataclass(frozen=True)
class LogScope:
    """What every sync-log row of one unit of work shares."""

    organization_id: int
    realm_id: str | None
    trigger: SyncTrigger
    attempt: int = 1
    correlation_id: str | None = None


@dataclass
class SyncContext:
    """One unit of work: every write in it commits (or not) together with its log rows."""

    session: AsyncSession
    deps: SyncDeps
    connection: QuickBooksConnection
    qbo: QuickBooksClient
    trigger: SyncTrigger
    correlation_id: str | None = None
    caller_token: str | None = field(default=None, repr=False)
    attempt: int = 1
    will_retry: bool = False
    # What this unit of work read of its records, by (entity type, Aforo id): mappings (a
    # save forgets the record's), and the refused writes of each record it attempted.
    _mappings: dict[tuple[str, str], Mapping | None] = field(default_factory=dict, repr=False)
    _refused: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)
    # Records whose lock this unit of work already holds.
    _locks: set[tuple[str, str]] = field(default_factory=set, repr=False)

    @property
    def organization_id(self) -> int:
        return self.connection.organization_id

    @property
    def realm_id(self) -> str:
        return self.connection.realm_id

    @property
    def scope(self) -> LogScope:
        return LogScope(
            self.organization_id, self.realm_id, self.trigger, self.attempt, self.correlation_id
        )

    async def mapping(self, entity_type: str, aforo_id: str) -> Mapping | None:
        """The record's mapping in this organization's connected company."""
        key = (entity_type, aforo_id)
        if key in self._mappings:
            return self._mappings[key]
        return await repository.get_mapping(
            self.session,
            organization_id=self.organization_id,
            realm_id=self.realm_id,
            entity_type=entity_type,
            aforo_id=aforo_id,
        )

    def locked(self, entity_type: str, aforo_id: str) -> None:
        """This unit of work holds the record's lock (until it ends)."""
        self._locks.add((entity_type, aforo_id))

    async def lock(self, entity_type: str, aforo_id: str) -> None:
        """Hold the record's lock (repository.lock_entity) unless this unit of work does."""
        if (entity_type, aforo_id) in self._locks:
            return
        await repository.lock_entity(
            self.session,
            organization_id=self.organization_id,
            entity_type=entity_type,
            aforo_id=aforo_id,
        )
        self._locks.add((entity_type, aforo_id))

    async def after_another_unit(self, entity_type: str, aforo_id: str) -> Mapping | None:
        """When another unit sharing this transaction (db/shared.py) is working on the record
        (a burst's invoices whose first one is creating their plan's item), wait until its
        attempt is over and return the mapping it left, if any: the record need not be
        synced (and logged) again by each of them. None at once otherwise."""
        group = shared(self.session)
        if group is None:
            return None
        name = repository.lock_name(self.organization_id, entity_type, aforo_id)
        holder = group.holder(name)
        if holder is None:
            return None
        with stepping_aside():
            await group.wait_for_holder(holder, name)
        self._mappings.pop((entity_type, aforo_id), None)
        return await self.mapping(entity_type, aforo_id)

    def release(self, entity_type: str, aforo_id: str) -> None:
        """This unit's attempt on the record is over: in a transaction shared with other
        units (db/shared.py), they may work on it now; otherwise its lock is held until the
        transaction ends, as always."""
        group = shared(self.session)
        if group is not None and (entity_type, aforo_id) in self._locks:
            group.release(repository.lock_name(self.organization_id, entity_type, aforo_id))
            self._locks.discard((entity_type, aforo_id))

    async def read_mappings(self, records: Sequence[tuple[str, str]]) -> None:
        """Read these records' mappings in one query, for ``mapping`` to answer from."""
        self._mappings |= await repository.get_mappings(
            self.session,
            organization_id=self.organization_id,
            realm_id=self.realm_id,
            records=records,
        )

    async def read_state(self, entity_type: str, aforo_id: str) -> repository.RecordState:
        """The state of a record whose lock this unit of work holds (one query); its mapping
        and refused writes are then answered without another."""
        state = await repository.record_state(
            self.session,
            organization_id=self.organization_id,
            realm_id=self.realm_id,
            entity_type=entity_type,
            aforo_id=aforo_id,
        )
        self._mappings[(entity_type, aforo_id)] = state.mapping
        self._refused[(entity_type, aforo_id)] = state.refused_writes
        return state

    def saved(self, entity_type: str, aforo_id: str) -> None:
        """The record's mapping was written: read it again when asked."""
        self._mappings.pop((entity_type, aforo_id), None)

    async def refused_writes(self, entity_type: str, aforo_id: str) -> int:
        known = self._refused.get((entity_type, aforo_id))
        if known is not None:
            return known
        return await sync_log.refused_writes(
            self.session,
            organization_id=self.organization_id,
            entity_type=entity_type,
            aforo_id=aforo_id,
        )

    @property
    def settings(self) -> ConnectionSettings:
        return ConnectionSettings.model_validate(self.connection.settings or {})
