"""How the rest of qbsync reaches QuickBooks for an organization: OAuth and per-realm clients."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.config import QuickBooksSettings
from qbsync.connections.crypto import TokenCipher
from qbsync.connections.errors import CompanyNotReachable
from qbsync.connections.oauth import IntuitOAuth
from qbsync.connections.tokens import ConnectionTokens
from qbsync.quickbooks.client import QuickBooksClient
from qbsync.quickbooks.errors import (
    QuickBooksAuthError,
    QuickBooksNotFound,
    QuickBooksValidationError,
)
from qbsync.quickbooks.limiter import RealmLimiters
from qbsync.quickbooks.reads import UNMETERED, ReadMeters

log = logging.getLogger(__name__)


class StaticToken:
    """A TokenProvider for a token fresh from the code exchange (nothing to refresh yet)."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def get_token(self) -> str:
        return self._token

    async def refresh(self, rejected_token: str) -> str:  # noqa: ARG002 - protocol signature
        return self._token


@dataclass(frozen=True)
class QuickBooksAccess:
    sessionmaker: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient
    settings: QuickBooksSettings
    cipher: TokenCipher
    limiters: RealmLimiters
    # Counts billable reads per organization against the app's monthly budget.
    reads: ReadMeters = UNMETERED

    @property
    def oauth(self) -> IntuitOAuth:
        return IntuitOAuth(self.http, self.settings)

    def tokens(self, organization_id: int) -> ConnectionTokens:
        return ConnectionTokens(
            sessionmaker=self.sessionmaker,
            oauth=self.oauth,
            cipher=self.cipher,
            organization_id=organization_id,
            refresh_margin_s=self.settings.refresh_margin_s,
        )

    def client(self, *, organization_id: int, realm_id: str) -> QuickBooksClient:
        return QuickBooksClient(
            self.http,
            realm_id=realm_id,
            tokens=self.tokens(organization_id),
            settings=self.settings,
            limiter=self.limiters.for_realm(realm_id),
            reads=self.reads.meter(organization_id),
        )

    async def verify_company(self, realm_id: str, access_token: str) -> str | None:
        """The company's name, read with a token fresh from the code exchange: proof that
        the grant reaches ``realm_id`` (which comes from the callback's query string)."""
        client = QuickBooksClient(
            self.http,
            realm_id=realm_id,
            tokens=StaticToken(access_token),
            settings=self.settings,
            limiter=self.limiters.for_realm(realm_id),
            reads=self.reads.meter(None),
        )
        try:
            return (await client.company_info()).company_name
        except (QuickBooksAuthError, QuickBooksNotFound, QuickBooksValidationError) as exc:
            log.info(
                "new grant cannot read CompanyInfo", extra={"realm_id": realm_id, "code": exc.code}
            )
            raise CompanyNotReachable(
                f"this QuickBooks authorization does not give access to company {realm_id}",
                hint="click Connect again and pick the company on Intuit's page",
            ) from None
