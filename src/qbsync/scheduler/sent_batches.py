"""Which batch request each batched create went out in, kept before the request is sent:
the ledger a repeat of the create consults (``quickbooks.batching.SentLedger``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import String, any_, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.db import direct
from qbsync.db.base import table_of, utcnow
from qbsync.quickbooks.batching import SentAs
from qbsync.scheduler.models import SentBatchItem

_SENT = table_of(SentBatchItem)
# Every batch request runs these two (db/direct.py).
_EARLIER = direct.Direct(
    select(_SENT.c.request_id, _SENT.c.batch_request_id, _SENT.c.b_id, _SENT.c.unanswered).where(
        _SENT.c.realm_id == bindparam("realm_id"),
        _SENT.c.request_id == any_(bindparam("request_ids", type_=ARRAY(String))),
    )
)
_RECORD = direct.Direct(insert(_SENT).on_conflict_do_nothing())


class SentBatches:
    """Each call is its own short transaction, apart from the syncs' own: what it records
    must outlive a sync that rolls back, or a process that dies while the batch is out."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._engine = direct.engine_of(sessionmaker)

    async def earlier(self, realm_id: str, request_ids: Sequence[str]) -> dict[str, SentAs]:
        async with direct.autocommit(self._engine) as connection:
            return await _earlier(connection, realm_id, request_ids)

    async def record_new(
        self,
        realm_id: str,
        request_ids: Sequence[str],
        compose: Callable[[list[str]], dict[str, SentAs]],
    ) -> dict[str, SentAs]:
        async with direct.transaction(self._engine) as connection:
            earlier = await _earlier(connection, realm_id, request_ids)
            fresh = [request_id for request_id in request_ids if request_id not in earlier]
            if fresh:
                now = utcnow()
                rows = [
                    {
                        "realm_id": realm_id,
                        "request_id": request_id,
                        "batch_request_id": as_.batch_request_id,
                        "b_id": as_.b_id,
                        "unanswered": False,
                        "sent_at": now,
                    }
                    for request_id, as_ in compose(fresh).items()
                ]
                await direct.executemany(connection, _RECORD, rows)
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
    executor: direct.Executor, realm_id: str, request_ids: Sequence[str]
) -> dict[str, SentAs]:
    rows = await direct.fetch(
        executor, _EARLIER, {"realm_id": realm_id, "request_ids": list(request_ids)}
    )
    return {
        row["request_id"]: SentAs(row["batch_request_id"], row["b_id"], row["unanswered"])
        for row in rows
    }


async def purge(session: AsyncSession, *, older_than: datetime) -> int:
    """Batched creates sent long ago: nothing repeats them any more."""
    result = await session.execute(delete(SentBatchItem).where(SentBatchItem.sent_at < older_than))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
