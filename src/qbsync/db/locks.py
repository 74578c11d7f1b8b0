"""Named Postgres advisory locks: one holder at a time across every qbsync instance."""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

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
