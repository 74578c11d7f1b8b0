"""Creates of many concurrent syncs of one realm, pooled into batch requests.

Inside ``pooling_creates(batcher)`` every ``QuickBooksClient.create`` for the batcher's realm
waits for its place in a batch instead of being sent alone: a batch goes out when it holds
30 items, when every unit of work that joined the batcher (``taking_part``) is waiting on
it, or when no further create has arrived for ``linger_s`` (a unit held up elsewhere). Each caller gets its own
item's answer, or its own item's error (a 6240 is a ``QuickBooksDuplicateName`` as it would
be alone), so the single-record code around the create (adopt on duplicate, mapping, the
sync-log row) runs unchanged. The batch's ``requestid`` is derived from its items' own
deterministic request ids: the same items resent after a lost answer are answered from
QBO's replay store, not written twice.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qbsync.quickbooks.batch import MAX_BATCH_ITEMS, MAX_BATCH_REQUEST_ID, BatchItem
from qbsync.quickbooks.errors import QuickBooksError
from qbsync.quickbooks.schemas.base import WritableEntity

if TYPE_CHECKING:
    from qbsync.quickbooks.client import QuickBooksClient


@dataclass
class _Waiting:
    entity: WritableEntity
    request_id: str
    answer: asyncio.Future[WritableEntity]


def batch_request_id(request_ids: list[str]) -> str:
    digest = hashlib.sha256("\n".join(sorted(request_ids)).encode("utf-8")).hexdigest()
    return ("b" + digest)[:MAX_BATCH_REQUEST_ID]


class WriteBatcher:
    """Pools creates for one realm; ``client`` sends the batches (its limiter paces them)."""

    def __init__(
        self,
        client: QuickBooksClient,
        *,
        max_items: int = MAX_BATCH_ITEMS,
        linger_s: float = 0.5,
    ) -> None:
        self.realm_id = client.realm_id
        self._client = client
        self._max_items = max_items
        self._linger_s = linger_s
        self._waiting: list[_Waiting] = []
        self._timer: asyncio.TimerHandle | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._taking_part = 0
        self.batches = 0
        self.items = 0

    @contextmanager
    def taking_part(self) -> Iterator[None]:
        """One unit of work whose create the batch may wait for."""
        self._taking_part += 1
        try:
            yield
        finally:
            self._taking_part -= 1
            if self._waiting and len(self._waiting) >= self._taking_part:
                self._flush()

    async def create(self, entity: WritableEntity, *, request_id: str) -> WritableEntity:
        answer: asyncio.Future[WritableEntity] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(entity, request_id, answer))
        if len(self._waiting) >= min(self._max_items, max(self._taking_part, 1)):
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._linger_s, self._flush)
        return await answer

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        taken, self._waiting = self._waiting[: self._max_items], self._waiting[self._max_items :]
        if self._waiting:
            self._timer = asyncio.get_running_loop().call_later(self._linger_s, self._flush)
        if taken:
            task = asyncio.create_task(self._send(taken))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, taken: list[_Waiting]) -> None:
        items = [BatchItem.create(str(n), w.entity) for n, w in enumerate(taken)]
        try:
            results = await self._client.batch(
                items, request_id=batch_request_id([w.request_id for w in taken])
            )
        except Exception as exc:  # every item shares the request's fate
            for waiting in taken:
                if not waiting.answer.done():
                    waiting.answer.set_exception(exc)
            return
        self.batches += 1
        self.items += len(taken)
        for waiting, result in zip(taken, results, strict=True):
            if waiting.answer.done():
                continue
            if result.error is not None:
                waiting.answer.set_exception(result.error)
            elif isinstance(result.entity, type(waiting.entity)):
                waiting.answer.set_result(result.entity)
            else:
                waiting.answer.set_exception(
                    QuickBooksError("batch answer has no entity for the item")
                )


_BATCHER: ContextVar[WriteBatcher | None] = ContextVar("qbsync_write_batcher", default=None)


def batcher_for(realm_id: str) -> WriteBatcher | None:
    batcher = _BATCHER.get()
    return batcher if batcher is not None and batcher.realm_id == realm_id else None


@contextmanager
def pooling_creates(batcher: WriteBatcher) -> Iterator[None]:
    """Creates for the batcher's realm made inside the block (and in tasks started in it)
    go out in batches."""
    token = _BATCHER.set(batcher)
    try:
        yield
    finally:
        _BATCHER.reset(token)
