"""``/_emulator/webhooks``: configure subscriptions, read their delivery log, wait for them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel
from starlette.responses import Response

from qbo_emulator.state import EmulatorState, get_state
from qbo_emulator.webhooks.subscription import Delivery, Subscription

router = APIRouter(prefix="/_emulator/webhooks", tags=["emulator control"])
StateDep = Annotated[EmulatorState, Depends(get_state)]


class Deliveries(BaseModel):
    name: str
    pending: int
    deliveries: list[Delivery]


class Drained(BaseModel):
    name: str
    idle: bool


@router.put("/{name}")
async def subscribe(state: StateDep, name: str, subscription: Subscription) -> Subscription:
    state.webhooks.subscribe(name, subscription)
    return subscription


@router.get("")
async def subscriptions(state: StateDep) -> dict[str, Subscription]:
    return {name: s.subscription for name, s in state.webhooks.subscribers.items()}


@router.delete("/{name}", status_code=204)
async def unsubscribe(state: StateDep, name: str) -> Response:
    if not state.webhooks.remove(name):
        raise HTTPException(404, f"no subscription {name}")
    return Response(status_code=204)


@router.get("/{name}/deliveries")
async def deliveries(state: StateDep, name: str) -> Deliveries:
    subscriber = state.webhooks.subscribers.get(name)
    if subscriber is None:
        raise HTTPException(404, f"no subscription {name}")
    return Deliveries(
        name=name, pending=len(subscriber.queue), deliveries=list(subscriber.deliveries)
    )


@router.post("/{name}/drain")
async def drain(state: StateDep, name: str, timeout_s: float = 10.0) -> Drained:
    """Wait (up to ``timeout_s``) until everything recorded so far was delivered or given up."""
    if name not in state.webhooks.subscribers:
        raise HTTPException(404, f"no subscription {name}")
    return Drained(name=name, idle=await state.webhooks.drain(name, min(timeout_s, 60.0)))
