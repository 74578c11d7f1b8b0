"""The Accounting API routes and their gateway pipeline.

Order per request, as Intuit's layers apply it: bearer token (401/3200) → cluster (401/130)
→ throttle (429/3001) → latency → injected faults → ``requestid`` replay → the operation,
under the realm's lock → "lost response" (commit, then drop the connection).
Production companies live under ``/v3/company/{realmId}``, sandbox ones under
``/sandbox/v3/company/{realmId}``.
"""

from __future__ import annotations

import asyncio
import random
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from qbo_emulator import faults, gateway, xmlwire
from qbo_emulator.config import FaultKind
from qbo_emulator.dispatch import Answer, ApiRequest, dispatch
from qbo_emulator.injection import DroppedResponse, withhold
from qbo_emulator.realm import Environment, LoggedRequest, Realm, StoredResponse
from qbo_emulator.requestlog import logged
from qbo_emulator.state import EmulatorState, get_state
from qbo_emulator.wire import QBO_VERSION, dumps, json_response, loads

router = APIRouter(include_in_schema=False)
StateDep = Annotated[EmulatorState, Depends(get_state)]


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _injected_response(kind: FaultKind, state: EmulatorState) -> Response | None:
    """The answer for a failure that happens before the operation runs."""
    if kind == "http_500":
        return json_response(faults.system_failure().body(), 500)
    if kind == "http_503":
        return gateway.service_unavailable()
    if kind == "throttle":
        return gateway.throttled(state.config.throttle_body)
    if kind == "stale":
        return json_response(faults.stale_object().body(), 400)
    return None


def _without_last_item(stored: StoredResponse) -> StoredResponse:
    """A batch answer that leaves out its last item (which ran): QBO does not promise every
    item an answer, and its replay store keeps the answer as it was given."""
    document = loads(stored.body)
    items = document.get("BatchItemResponse")
    if isinstance(items, list) and items:
        document["BatchItemResponse"] = items[:-1]
    return StoredResponse(stored.status, dumps(document), stored.media_type)


def _to_response(answer: Answer | StoredResponse) -> Response:
    headers = (
        {"QBO-Version": QBO_VERSION} if answer.media_type.startswith("application/json") else {}
    )
    return Response(
        answer.body, status_code=answer.status, media_type=answer.media_type, headers=headers
    )


async def _run(
    state: EmulatorState, realm: Realm, request: Request, rest: str, entry: LoggedRequest
) -> Response:
    config = state.config
    low, high = config.latency_ms
    if high > 0:
        await asyncio.sleep(random.uniform(low, high) / 1000)
    path = request.url.path
    fault = state.injector.take(
        realm_id=realm.realm_id,
        method=request.method,
        path=path,
        request_id=request.query_params.get("requestid"),
    )
    if fault is None:
        fault = state.injector.roll(config.error_rates, is_write=request.method == "POST")
    entry.fault = fault
    if fault is not None:
        early = _injected_response(fault, state)
        if early is not None:
            return early
        if fault == "timeout":
            await withhold(config.timeout_hold_s, state.closing)
            return DroppedResponse()
    if request.headers.get("content-type", "").startswith(("application/xml", "text/xml")):
        unsupported = faults.unsupported_operation("XML request bodies in the emulator; send JSON")
        return json_response(unsupported.body(), unsupported.status)
    requestid = request.query_params.get("requestid")
    api_request = ApiRequest(
        method=request.method,
        segments=tuple(part for part in rest.split("/") if part),
        params=dict(request.query_params),
        body=await request.body(),
        full_path=path,
    )
    if requestid and len(requestid) > faults.REQUEST_ID_MAX:
        refused = faults.request_id_too_long(requestid)
        return json_response(refused.body(), refused.status)
    async with realm.lock:
        stored = realm.replay.get(requestid) if requestid else None
        if stored is None:
            answer = dispatch(realm, api_request)
            stored = StoredResponse(answer.status, answer.body, answer.media_type)
            if fault == "batch_item_omitted":
                stored = _without_last_item(stored)
            if requestid:
                # QBO answers a repeated requestid with the first response, not a new write.
                realm.replay[requestid] = stored
    entry.status = stored.status
    if fault == "lost_response":
        await withhold(config.lost_response_hold_s, state.closing)
        return DroppedResponse()
    return _to_response(stored)


async def _negotiated(request: Request, response: Response) -> Response:
    """The answer in XML when the client asks for it (QBO speaks both); the schema work runs
    off the loop (the first XML answer loads Intuit's XSDs)."""
    if (
        isinstance(response, DroppedResponse)
        or not xmlwire.wants_xml(request.headers.get("accept", ""))
        or not (response.media_type or "").startswith("application/json")
    ):
        return response
    status = response.status_code
    try:
        xml = await asyncio.to_thread(xmlwire.from_json, bytes(response.body))
    except xmlwire.NotRenderable as exc:
        refused = faults.unsupported_operation(f"XML for this answer ({exc}); ask for JSON")
        xml = await asyncio.to_thread(xmlwire.from_json, dumps(refused.body()))
        status = refused.status
    headers = {
        key: value
        for key, value in response.headers.items()
        if key.lower() not in ("content-type", "content-length")
    }
    return Response(xml, status_code=status, media_type=xmlwire.XML_CONTENT_TYPE, headers=headers)


async def _handle(
    state: EmulatorState, request: Request, realm_id: str, rest: str, cluster: Environment
) -> Response:
    detail = state.tokens.check_access(_bearer(request), realm_id)
    realm = state.realms.get(realm_id)
    if detail is not None or realm is None:
        return gateway.authentication_failed(detail or "Token revoked or invalid")
    entry = await logged(request)
    realm.log.append(entry)
    response = await _gated(state, realm, request, rest, cluster, entry)
    if not isinstance(response, DroppedResponse):
        entry.status = response.status_code
    return response


async def _gated(
    state: EmulatorState,
    realm: Realm,
    request: Request,
    rest: str,
    cluster: Environment,
    entry: LoggedRequest,
) -> Response:
    if realm.environment != cluster:
        return gateway.wrong_cluster(realm.realm_id)
    config = state.config
    admitted = state.limiter.try_enter(
        realm.realm_id,
        max_in_flight=config.max_in_flight,
        per_minute=config.requests_per_minute,
    )
    if not admitted:
        entry.fault = "throttle"
        return gateway.throttled(config.throttle_body)
    try:
        return await _run(state, realm, request, rest, entry)
    finally:
        state.limiter.leave(realm.realm_id)


@router.api_route("/v3/company/{realm_id}/{rest:path}", methods=["GET", "POST", "PUT", "DELETE"])
async def production_api(state: StateDep, request: Request, realm_id: str, rest: str) -> Response:
    return await _negotiated(request, await _handle(state, request, realm_id, rest, "production"))


@router.api_route(
    "/sandbox/v3/company/{realm_id}/{rest:path}", methods=["GET", "POST", "PUT", "DELETE"]
)
async def sandbox_api(state: StateDep, request: Request, realm_id: str, rest: str) -> Response:
    return await _negotiated(request, await _handle(state, request, realm_id, rest, "sandbox"))
