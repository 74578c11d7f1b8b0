"""Which batch request each batched create went out in, kept before the request is sent:
the ledger a repeat of the create consults (``quickbooks.batching.SentLedger``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.quickbooks.batching import SentAs
from qbsync.scheduler.models import SentBatchItem


class SentBatches:
    """Each call is its own short transaction, apart from the syncs' own: what it records
    must outlive a sync that rolls back, or a process that dies while the batch is out."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def earlier(self, realm_id: str, request_ids: Sequence[str]) -> dict[str, SentAs]:
        async with self._sessionmaker() as session:
            return await _earlier(session, realm_id, request_ids)

    async def record_new(
        self,
        realm_id: str,
        request_ids: Sequence[str],
        compose: Callable[[list[str]], dict[str, SentAs]],
    ) -> dict[str, SentAs]:
        async with self._sessionmaker.begin() as session:
            earlier = await _earlier(session, realm_id, request_ids)
            fresh = [request_id for request_id in request_ids if request_id not in earlier]
            if fresh:
                rows = [
                    {
                        "realm_id": realm_id,
                        "request_id": request_id,
                        "batch_request_id": as_.batch_request_id,
                        "b_id": as_.b_id,
                    }
                    for request_id, as_ in compose(fresh).items()
                ]
                await session.execute(insert(SentBatchItem).values(rows).on_conflict_do_nothing())
            return earlier

    async def unanswered(self, realm_id: str, request_ids: Sequence[str]) -> None:
        async with self._sessionmaker.begin() as session:
            await session.execute(
                update(SentBatchItem)
                .where(
                    SentBatchItem.realm_id == realm_id,
                    SentBatchItem.request_id.in_(list(request_ids)),
                )
                .values(unanswered=True)
            )

    async def forget(self, realm_id: str, request_ids: Sequence[str]) -> None:
        async with self._sessionmaker.begin() as session:
            await session.execute(
                delete(SentBatchItem).where(
                    SentBatchItem.realm_id == realm_id,
                    SentBatchItem.request_id.in_(list(request_ids)),
                )
            )


async def _earlier(
    session: AsyncSession, realm_id: str, request_ids: Sequence[str]
) -> dict[str, SentAs]:
    rows = await session.execute(
        select(
            SentBatchItem.request_id,
            SentBatchItem.batch_request_id,
            SentBatchItem.b_id,
            SentBatchItem.unanswered,
        ).where(
            SentBatchItem.realm_id == realm_id,
            SentBatchItem.request_id.in_(list(request_ids)),
        )
    )
    return {
        request_id: SentAs(batch, b_id, unanswered) for request_id, batch, b_id, unanswered in rows
    }


async def purge(session: AsyncSession, *, older_than: datetime) -> int:
    """Batched creates sent long ago: nothing repeats them any more."""
    result = await session.execute(delete(SentBatchItem).where(SentBatchItem.sent_at < older_than))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
