"""Named Postgres advisory locks: one holder at a time across every qbsync instance."""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def lock_until_commit(session: AsyncSession, name: str) -> None:
    """Wait for the lock called ``name``; it is released when the transaction ends."""
    digest = hashlib.blake2b(name.encode(), digest_size=8)
    key = int.from_bytes(digest.digest(), "big", signed=True)
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
