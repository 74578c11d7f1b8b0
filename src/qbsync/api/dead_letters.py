"""Parked messages: list, inspect, replay to their queue, discard; every action is logged.

Who may call what: a tenant lists, inspects and replays its own organization's parked
messages (a replay is a retry); discarding one and replaying everything at once are
operators' decisions (``OperatorDep``). Messages that name no organization (undecodable
ones) are visible to operators only. How a browse keeps the queue whole:
``qbsync.events.dead_letters``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from qbsync.api.auth import OperatorDep, ScopeDep
from qbsync.api.deps import ResourcesDep, SessionDep
from qbsync.api.errors import ERRORS
from qbsync.api.views import CamelModel, ParkedView
from qbsync.events import dead_letters
from qbsync.events.dead_letters import SCAN

router = APIRouter(prefix="/api/quickbooks/dead-letters", tags=["operators"])


class ParkedList(CamelModel):
    items: list[ParkedView]
    count: int


class ReplayedOne(CamelModel):
    replayed: int
    message_id: str
    queue: str | None


class ReplayedAll(CamelModel):
    replayed: int
    skipped: int


class Discarded(CamelModel):
    discarded: int
    message_id: str


@router.get("", response_model=ParkedList, responses=ERRORS)
async def list_dead_letters(
    scope: ScopeDep, resources: ResourcesDep, limit: Annotated[int, Query(ge=1, le=SCAN)] = 100
) -> ParkedList:
    parked = await dead_letters.visible_parked(resources, scope)
    return ParkedList(
        items=[ParkedView.model_validate(m) for m in parked[:limit]], count=len(parked)
    )


@router.get("/{message_id}", response_model=ParkedView, responses=ERRORS)
async def get_dead_letter(message_id: str, scope: ScopeDep, resources: ResourcesDep) -> ParkedView:
    return ParkedView.model_validate(await dead_letters.find_parked(resources, scope, message_id))


@router.post("/{message_id}/replay", response_model=ReplayedOne, responses=ERRORS)
async def replay_dead_letter(
    message_id: str, scope: ScopeDep, resources: ResourcesDep, session: SessionDep
) -> ReplayedOne:
    message = await dead_letters.replay_one(session, resources, scope, message_id)
    return ReplayedOne(replayed=1, message_id=message_id, queue=message.source_queue)


@router.post("/replay", response_model=ReplayedAll, responses=ERRORS)
async def replay_all_dead_letters(
    _operator: OperatorDep, scope: ScopeDep, resources: ResourcesDep, session: SessionDep
) -> ReplayedAll:
    """Replay every parked message of the organization the operator names (or of all)."""
    outcome = await dead_letters.replay_all(session, resources, scope)
    return ReplayedAll(replayed=outcome.replayed, skipped=outcome.skipped)


@router.delete("/{message_id}", response_model=Discarded, responses=ERRORS)
async def discard_dead_letter(
    message_id: str,
    _operator: OperatorDep,
    scope: ScopeDep,
    resources: ResourcesDep,
    session: SessionDep,
) -> Discarded:
    await dead_letters.discard_one(session, resources, scope, message_id)
    return Discarded(discarded=1, message_id=message_id)
