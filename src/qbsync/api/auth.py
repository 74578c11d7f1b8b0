"""Bearer-token authentication: verify the platform JWT and resolve the caller's organization."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
from fastapi import Depends, Header, Query, Request
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey

from qbsync.aforo.auth import org_id_from_claims
from qbsync.api.deps import ResourcesDep
from qbsync.config import AuthSettings, Settings
from qbsync.errors import DependencyUnavailable, Forbidden, InvalidInput, Unauthorized
from qbsync.ids import MAX_ID, parse_id

log = logging.getLogger(__name__)

JWKS_CACHE_S = 600.0


@dataclass(frozen=True)
class Principal:
    """Who is calling: their organization (if the token names one) and whether they operate."""

    organization_id: int | None
    subject: str | None
    is_operator: bool
    token: str = field(repr=False)
    claims: dict[str, Any] = field(repr=False, default_factory=dict)


def _is_operator(claims: dict[str, Any], settings: AuthSettings) -> bool:
    value = claims.get(settings.operator_claim)
    if isinstance(value, str):
        return settings.operator_value in value.replace(",", " ").split()
    if isinstance(value, list):
        return settings.operator_value in value
    return value is True and settings.operator_value.lower() in {"true", "1"}


class TokenVerifier:
    """HS256 with the shared secret; RS256 from a JWKS URL when one is configured."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self._auth = settings.auth
        self._hs_key = OctKey.import_key(settings.jwt_secret.get_secret_value())
        self._http = http
        self._jwks: KeySet | None = None
        self._jwks_loaded_at = 0.0
        self._claims = jwt.JWTClaimsRegistry(exp={"essential": True}, leeway=self._auth.leeway_s)

    async def _jwks_keys(self) -> KeySet:
        if self._jwks is None or time.monotonic() - self._jwks_loaded_at > JWKS_CACHE_S:
            try:
                response = await self._http.get(str(self._auth.jwks_url))
                response.raise_for_status()
                self._jwks = KeySet.import_key_set(response.json())
            except (httpx.HTTPError, ValueError, JoseError) as exc:
                # The cause is for operators; callers (maybe not even authenticated yet)
                # learn only that verification is unavailable.
                log.warning("could not load the JWKS", extra={"error": repr(exc)[:300]})
                raise DependencyUnavailable("token verification is unavailable") from None
            self._jwks_loaded_at = time.monotonic()
        return self._jwks

    async def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jws.extract_compact(token.encode()).protected
            if header.get("alg") == "RS256" and self._auth.jwks_url is not None:
                decoded = jwt.decode(token, await self._jwks_keys(), algorithms=["RS256"])
            else:
                decoded = jwt.decode(token, self._hs_key, algorithms=["HS256"])
            self._claims.validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthorized(
                "the bearer token is not valid", hint=getattr(exc, "error", type(exc).__name__)
            ) from None
        return dict(decoded.claims)

    def principal(self, token: str, claims: dict[str, Any]) -> Principal:
        subject = claims.get("sub")
        return Principal(
            organization_id=org_id_from_claims(claims),
            subject=str(subject) if subject is not None else None,
            is_operator=_is_operator(claims, self._auth),
            token=token,
            claims=claims,
        )


def get_verifier(request: Request, resources: ResourcesDep) -> TokenVerifier:
    verifier: TokenVerifier | None = getattr(request.app.state, "token_verifier", None)
    if verifier is None:
        verifier = TokenVerifier(resources.settings, resources.aforo_http)
        request.app.state.token_verifier = verifier
    return verifier


async def get_principal(
    verifier: Annotated[TokenVerifier, Depends(get_verifier)],
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    if not authorization:
        raise Unauthorized("missing bearer token", hint="send Authorization: Bearer <JWT>")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <JWT>'")
    token = token.strip()
    return verifier.principal(token, await verifier.verify(token))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def _requested_org(x_organization_id: str | None, organization_id: str | None) -> int | None:
    requested = None
    for source, raw in (
        ("X-Organization-Id", x_organization_id),
        ("organizationId", organization_id),
    ):
        if raw is None or raw == "":
            continue
        value = parse_id(raw)
        if value is None:
            raise InvalidInput(f"{source} must be an organization id (1 to {MAX_ID})")
        if requested is not None and value != requested:
            raise Forbidden("X-Organization-Id and organizationId name different organizations")
        requested = value
    return requested


async def get_scope(
    principal: PrincipalDep,
    x_organization_id: Annotated[str | None, Header()] = None,
    organization_id: Annotated[str | None, Query(alias="organizationId")] = None,
) -> int | None:
    """The organization an operator route reads: the caller's own, or for operators the one
    they name, or every organization (None) when an operator names none."""
    requested = _requested_org(x_organization_id, organization_id)
    if principal.is_operator:
        return requested
    if principal.organization_id is None:
        raise Forbidden(
            "the token names no organization", hint="expected claim organizationId or orgId"
        )
    if requested is not None and requested != principal.organization_id:
        raise Forbidden("the organization requested does not match the token's organization")
    return principal.organization_id


ScopeDep = Annotated[int | None, Depends(get_scope)]


async def get_tenant(scope: ScopeDep) -> int:
    """The one organization a tenant route acts for: the token's; an ``X-Organization-Id``
    header or ``organizationId`` query value must agree, except for operators, who may
    name any organization that way (and must name one)."""
    if scope is None:
        raise InvalidInput("name the organization", hint="send X-Organization-Id or organizationId")
    return scope


TenantDep = Annotated[int, Depends(get_tenant)]


def require_operator(principal: PrincipalDep) -> Principal:
    if not principal.is_operator:
        raise Forbidden("operator access required")
    return principal


OperatorDep = Annotated[Principal, Depends(require_operator)]
