"""Named Postgres advisory locks: one holder at a time across every qbsync instance."""

from __future__ import annotations

import asyncio
import hashlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.db.errors import RecordBusy

_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(:key)")


def lock_key(name: str) -> int:
    """The advisory lock's number for ``name``."""
    digest = hashlib.blake2b(name.encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


async def lock_until_commit(session: AsyncSession, name: str) -> None:
    """Wait for the lock called ``name``; it is released when the transaction ends."""
    await session.execute(_LOCK, {"key": lock_key(name)})


async def try_lock_until_commit(session: AsyncSession, name: str) -> bool:
    """Take the lock called ``name`` if nobody holds it (True), without waiting."""
    taken = await session.scalar(_TRY_LOCK, {"key": lock_key(name)})
    return bool(taken)


async def poll_until_commit(session: AsyncSession, name: str, *, timeout_s: float) -> None:
    """``lock_until_commit`` without blocking the session meanwhile (a session shared by
    several units of work, db/shared.py): try again, further and further apart.
    ``RecordBusy`` after ``timeout_s`` (a blocking wait would be woken by Postgres' deadlock
    detection instead; polling is not seen by it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    pause = 0.02
    while not await try_lock_until_commit(session, name):
        if loop.time() >= deadline:
            raise RecordBusy(f"{name} stayed locked by another sync for {timeout_s:.0f} s")
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.5)
