"""What one sync needs: its unit of work, the organization's connection and collaborators."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.aforo.billing import BillingClient
from qbsync.aforo.orgs import OrgClient
from qbsync.aforo.payments import PaymentClient
from qbsync.aforo.rateplans import RatePlanClient
from qbsync.connections.access import QuickBooksAccess
from qbsync.connections.models import QuickBooksConnection
from qbsync.connections.schemas import ConnectionSettings
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.sync import repository
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
        return await repository.get_mapping(
            self.session,
            organization_id=self.organization_id,
            realm_id=self.realm_id,
            entity_type=entity_type,
            aforo_id=aforo_id,
        )

    @property
    def settings(self) -> ConnectionSettings:
        return ConnectionSettings.model_validate(self.connection.settings or {})
