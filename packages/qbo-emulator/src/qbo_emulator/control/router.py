"""The ``/_emulator`` control API: reset, realms, inspection, request log, knobs, faults, tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import ValidationError
from starlette.responses import Response

from qbo_emulator.config import ConfigPatch, EmulatorConfig
from qbo_emulator.control.schemas import (
    HeldRecord,
    HeldRecords,
    OAuthRequestLog,
    RealmCreate,
    RealmInfo,
    RequestLog,
    TokenIssue,
    TokensExpired,
)
from qbo_emulator.entities.registry import kind_named
from qbo_emulator.injection import FaultSpec
from qbo_emulator.realm import Realm
from qbo_emulator.state import EmulatorState, RealmExistsError, get_state
from qbo_emulator.tokens import TokenResponse
from qbo_emulator.wire import dumps, json_response

router = APIRouter(prefix="/_emulator", tags=["emulator control"])
StateDep = Annotated[EmulatorState, Depends(get_state)]


def _info(realm: Realm) -> RealmInfo:
    return RealmInfo(
        realm_id=realm.realm_id, company_name=realm.company_name, environment=realm.environment
    )


def _realm(state: EmulatorState, realm_id: str) -> Realm:
    realm = state.realms.get(realm_id)
    if realm is None:
        raise HTTPException(404, f"no realm {realm_id}")
    return realm


@router.post("/reset", status_code=204)
async def reset(state: StateDep) -> Response:
    state.reset()
    return Response(status_code=204)


@router.post("/realms", status_code=201)
async def create_realm(state: StateDep, body: RealmCreate) -> RealmInfo:
    try:
        realm = state.add_realm(
            body.realm_id,
            company_name=body.company_name,
            environment=body.environment,
            country=body.country,
        )
    except RealmExistsError:
        raise HTTPException(409, f"realm {body.realm_id} exists") from None
    return _info(realm)


@router.get("/realms")
async def list_realms(state: StateDep) -> list[RealmInfo]:
    return [_info(realm) for realm in state.realms.values()]


@router.get("/realms/{realm_id}/entities/{entity}", response_model=HeldRecords)
async def held_entities(state: StateDep, realm_id: str, entity: str) -> Response:
    realm = _realm(state, realm_id)
    kind = kind_named(entity)
    if kind is None:
        raise HTTPException(404, f"unknown entity {entity}")
    records = [
        HeldRecord(
            id=record.id,
            sync_token=str(record.sync_token),
            state=record.state,
            body=kind.render(realm, record),
        )
        for record in sorted(realm.all(kind.name), key=lambda record: int(record.id))
    ]
    held = HeldRecords(realm_id=realm_id, entity=kind.name, records=records)
    # Encoded by hand so money stays a JSON number (pydantic would write Decimal as a string).
    return Response(dumps(held.model_dump()), media_type="application/json")


@router.get("/realms/{realm_id}/requests")
async def request_log(state: StateDep, realm_id: str) -> RequestLog:
    return RequestLog(realm_id=realm_id, requests=list(_realm(state, realm_id).log))


@router.get("/oauth/requests")
async def oauth_request_log(state: StateDep) -> OAuthRequestLog:
    """Token and revoke requests, credentials redacted."""
    return OAuthRequestLog(requests=list(state.oauth_log))


@router.get("/config")
async def get_config(state: StateDep) -> EmulatorConfig:
    return state.config


@router.put("/config")
async def put_config(state: StateDep, patch: ConfigPatch) -> EmulatorConfig:
    try:
        config = patch.apply_to(state.config)
    except ValidationError as exc:
        raise HTTPException(422, exc.errors(include_url=False, include_context=False)) from None
    state.set_config(config)
    return config


@router.post("/faults", status_code=201)
async def queue_fault(state: StateDep, spec: FaultSpec) -> list[FaultSpec]:
    state.injector.queue(spec)
    return state.injector.pending()


@router.post("/tokens/{realm_id}/expire")
async def expire_tokens(state: StateDep, realm_id: str) -> TokensExpired:
    _realm(state, realm_id)
    return TokensExpired(realm_id=realm_id, expired=state.tokens.expire_access_tokens(realm_id))


@router.post("/tokens/issue")
async def issue_tokens(state: StateDep, body: TokenIssue) -> Response:
    _realm(state, body.realm_id)
    issued: TokenResponse = state.tokens.issue_for_realm(
        body.realm_id, include_hard_expiry=body.include_hard_expiry
    )
    return json_response(issued.model_dump(exclude_none=True))
