"""Members of a shared transaction (db/shared.py) hold records' locks among themselves."""

from __future__ import annotations

import asyncio

from qbsync.db.errors import RecordBusy
from qbsync.db.shared import SharedSession


async def test_a_member_waits_for_the_member_holding_a_lock_and_then_holds_it() -> None:
    group = SharedSession()
    first_done = asyncio.Event()
    order: list[str] = []

    async def first() -> None:
        assert group.claim("customer-1")
        await first_done.wait()
        order.append("first done")

    async def second() -> None:
        assert not group.claim("customer-1")
        holder = group.holder("customer-1")
        assert holder is not None
        await group.wait_for_holder(holder, "customer-1")
        assert group.claim("customer-1")
        order.append("second holds it")

    running = asyncio.create_task(first())
    await asyncio.sleep(0)
    waiting = asyncio.create_task(second())
    await asyncio.sleep(0.01)
    assert not waiting.done()
    first_done.set()
    await asyncio.gather(running, waiting)
    assert order == ["first done", "second holds it"]


async def test_members_that_would_wait_on_each_other_fail_instead_of_hanging() -> None:
    group = SharedSession()
    both_hold = asyncio.Barrier(2)

    async def member(mine: str, theirs: str) -> None:
        assert group.claim(mine)
        await both_hold.wait()
        holder = group.holder(theirs)
        assert holder is not None
        await group.wait_for_holder(holder, theirs)

    one = asyncio.create_task(member("item-1", "customer-1"))
    other = asyncio.create_task(member("customer-1", "item-1"))
    async with asyncio.timeout(5):
        outcomes = await asyncio.gather(one, other, return_exceptions=True)
    # The second to wait closes the circle and fails; the first then finds its holder done.
    assert [type(o) for o in outcomes].count(RecordBusy) == 1
    assert outcomes.count(None) == 1
