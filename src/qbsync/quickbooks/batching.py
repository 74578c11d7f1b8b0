"""Creates of many concurrent syncs of one realm, pooled into batch requests.

Inside ``pooling_creates(batcher)`` every ``QuickBooksClient.create`` for the batcher's realm
waits for its place in a batch instead of being sent alone: a batch goes out when it holds
30 items, when every unit of work that joined the batcher (``taking_part``) is waiting on
it (a unit blocked on another's lock steps aside meanwhile: ``stepping_aside``), or when no
further create has arrived for ``linger_s`` (a unit held up elsewhere; at most four times
that after the batch's first create). Each caller gets its own
item's answer, or its own item's error (a 6240 is a ``QuickBooksDuplicateName`` as it would
be alone), so the single-record code around the create (adopt on duplicate, mapping, the
sync-log row) runs unchanged. The batch's ``requestid`` is derived from its items' own
deterministic request ids: the same items resent after a lost answer are answered from
QBO's replay store, not written twice.

Only the very same request is replayed, so a create that went out in a batch must be
repeated (a retry, a crash, an outage) as that batch request again, never alone or in
another batch. With a ``SentLedger`` the batcher records each item's batch request and
``bId`` before sending it, and a repeat (``resending``) or a later batch finds it there and
sends that batch request again with the item alone: QBO answers from its replay store when
the request reached it (the item's answer, or none for an item that was not in it: then the
create goes out on its own, under its own ``requestid``), and runs it when it did not.

An answer that leaves out an item QBO ran (``BatchResult.missing``) says nothing of whether
the item was written, and its replay leaves it out again. The batcher marks such an item in
the ledger (``unanswered``) and fails it with ``QuickBooksOutcomeUnknown``; a repeat of a
marked item that the replay still leaves out fails the same way. It is never created alone:
a person checks QuickBooks.

An item QBO answered with a fault (the rest of its batch written, or not) was not written:
the ledger forgets it (``forget``), or every repeat would replay that refusal, even one
made for a passing reason (a fault 10000); its repeat goes out anew.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from qbsync.quickbooks.batch import MAX_BATCH_ITEMS, MAX_BATCH_REQUEST_ID, BatchItem
from qbsync.quickbooks.errors import QuickBooksError, QuickBooksOutcomeUnknown
from qbsync.quickbooks.schemas.base import WritableEntity

if TYPE_CHECKING:
    from qbsync.quickbooks.client import QuickBooksClient


@dataclass
class _Waiting:
    entity: WritableEntity
    request_id: str
    answer: asyncio.Future[WritableEntity | None]  # None: send it alone


@dataclass(frozen=True)
class SentAs:
    """Where a create went out: its batch request's ``requestid`` and its item's ``bId``;
    ``unanswered``: QBO's answer to that request left the item out (``SentLedger``)."""

    batch_request_id: str
    b_id: str
    unanswered: bool = False


class SentLedger(Protocol):
    """Durable, and written before the batch request is sent (in its own transaction)."""

    async def earlier(self, realm_id: str, request_ids: Sequence[str]) -> dict[str, SentAs]: ...

    async def record_new(
        self,
        realm_id: str,
        request_ids: Sequence[str],
        compose: Callable[[list[str]], dict[str, SentAs]],
    ) -> dict[str, SentAs]:
        """In one transaction: which of ``request_ids`` went out before (returned), and the
        batch ``compose`` makes of the others, recorded."""

    async def unanswered(self, realm_id: str, request_ids: Sequence[str]) -> None:
        """QBO answered these creates' batch request without them."""

    async def forget(self, realm_id: str, request_ids: Sequence[str]) -> None:
        """QBO refused these creates: a repeat must not replay that answer."""


def batch_request_id(request_ids: list[str]) -> str:
    digest = hashlib.sha256("\n".join(sorted(request_ids)).encode("utf-8")).hexdigest()
    return ("b" + digest)[:MAX_BATCH_REQUEST_ID]


def placed(request_ids: list[str]) -> dict[str, SentAs]:
    """Where each of these creates goes in the one batch request they make, in this order:
    the request's ``requestid`` (from all of theirs) and the item's ``bId`` (its place).
    What ``_send`` sends and what the ledger records of it before (``record_new``)."""
    request_id = batch_request_id(request_ids)
    return {rid: SentAs(request_id, str(n)) for n, rid in enumerate(request_ids)}


class WriteBatcher:
    """Pools creates for one realm; ``client`` sends the batches (its limiter paces them)."""

    def __init__(
        self,
        client: QuickBooksClient,
        *,
        max_items: int = MAX_BATCH_ITEMS,
        linger_s: float = 0.5,
        ledger: SentLedger | None = None,
    ) -> None:
        self.realm_id = client.realm_id
        self._client = client
        self._ledger = ledger
        self._max_items = max_items
        self._linger_s = linger_s
        self._waiting: list[_Waiting] = []
        self._oldest = 0.0  # when the first of ``_waiting`` arrived
        self._timer: asyncio.TimerHandle | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._taking_part = 0
        self._inside = 0  # units in ``create``: waiting for a batch, or for its answer
        self.batches = 0
        self.items = 0

    @contextmanager
    def taking_part(self) -> Iterator[None]:
        """One unit of work whose create the batch may wait for."""
        self._taking_part += 1
        token = _MEMBER.set(self)
        try:
            yield
        finally:
            _MEMBER.reset(token)
            self._taking_part -= 1
            self._consider()

    @contextmanager
    def aside(self) -> Iterator[None]:
        """A unit taking part that cannot reach its create for now (``stepping_aside``)."""
        self._taking_part -= 1
        self._consider()
        try:
            yield
        finally:
            self._taking_part += 1

    async def create(self, entity: WritableEntity, *, request_id: str) -> WritableEntity | None:
        """The written entity; None when the create must go out on its own (an earlier batch
        request went without it)."""
        answer: asyncio.Future[WritableEntity | None] = asyncio.get_running_loop().create_future()
        if not self._waiting:
            self._oldest = time.monotonic()
        self._waiting.append(_Waiting(entity, request_id, answer))
        self._inside += 1
        try:
            self._consider(arrived=True)
            return await answer
        finally:
            self._inside -= 1

    def _consider(self, *, arrived: bool = False) -> None:
        """Send what waits once no unit that could still add a create is outside; else
        (re)arm the linger timer when a create arrived."""
        while self._waiting and (
            len(self._waiting) >= self._max_items or self._inside >= self._taking_part
        ):
            self._flush()
        if self._waiting and (arrived or self._timer is None):
            if self._timer is not None:
                self._timer.cancel()
            last_call = self._oldest + 4 * self._linger_s - time.monotonic()
            delay = max(0.0, min(self._linger_s, last_call))
            self._timer = asyncio.get_running_loop().call_later(delay, self._linger_over)

    def _linger_over(self) -> None:
        self._timer = None
        self._flush()
        self._consider()

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        taken, self._waiting = self._waiting[: self._max_items], self._waiting[self._max_items :]
        self._oldest = time.monotonic()
        if taken:
            task = asyncio.create_task(self._send(taken))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, taken: list[_Waiting]) -> None:
        # The same items always get the same bIds, whatever order they arrived in: a batch
        # sent again under the same requestid is answered from QBO's replay store, and each
        # answer must reach the item it belongs to.
        taken = sorted(taken, key=lambda w: w.request_id)
        try:
            if self._ledger is not None:
                taken = await self._repeat_earlier(taken)
                if not taken:
                    return
            where = placed([w.request_id for w in taken])
            items = [BatchItem.create(where[w.request_id].b_id, w.entity) for w in taken]
            request_id = where[taken[0].request_id].batch_request_id
            results = await self._client.batch(items, request_id=request_id)
            left_out = [w.request_id for w, r in zip(taken, results, strict=True) if r.missing]
            if left_out and self._ledger is not None:
                await self._ledger.unanswered(self.realm_id, left_out)
            refused = [
                w.request_id
                for w, r in zip(taken, results, strict=True)
                if r.error is not None and not r.missing
            ]
            if refused and self._ledger is not None:
                await self._ledger.forget(self.realm_id, refused)
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
            if result.missing:
                waiting.answer.set_exception(_outcome_unknown(SentAs(request_id, result.b_id)))
            elif result.error is not None:
                waiting.answer.set_exception(result.error)
            elif isinstance(result.entity, type(waiting.entity)):
                waiting.answer.set_result(result.entity)
            else:
                waiting.answer.set_exception(
                    QuickBooksError("batch answer has no entity for the item")
                )

    async def _repeat_earlier(self, taken: list[_Waiting]) -> list[_Waiting]:
        """Items that already went out in a batch request go as that request again, each
        on its own; the rest are returned for the new batch, recorded as it in the ledger
        (in the same transaction as the look-up)."""
        assert self._ledger is not None
        earlier = await self._ledger.record_new(
            self.realm_id, [w.request_id for w in taken], placed
        )
        for waiting in taken:
            sent = earlier.get(waiting.request_id)
            if sent is not None:
                task = asyncio.create_task(self._send_again(waiting, sent))
                self._sending.add(task)
                task.add_done_callback(self._sending.discard)
        return [w for w in taken if w.request_id not in earlier]

    async def _send_again(self, waiting: _Waiting, sent: SentAs) -> None:
        assert self._ledger is not None
        try:
            written = await send_again(
                self._client,
                waiting.entity,
                sent,
                ledger=self._ledger,
                request_id=waiting.request_id,
            )
            waiting.answer.set_result(written)
        except Exception as exc:
            waiting.answer.set_exception(exc)


async def send_again(
    client: QuickBooksClient,
    entity: WritableEntity,
    sent: SentAs,
    *,
    ledger: SentLedger,
    request_id: str,
) -> WritableEntity | None:
    """The batch request a create went out in, again, with that create alone: its answer
    from QBO's replay store (or from running it, if the request never reached QBO); None
    when the request QBO holds went without it (nothing was written: create it alone). A
    refusal is raised, and forgotten in ``ledger`` (the create's ``request_id``).

    Raises ``QuickBooksOutcomeUnknown`` when QBO's answer to the original request left the
    create out (``sent.unanswered``) and the replay still does: QBO ran it, and may have
    written it, so it must not be created alone."""
    item = BatchItem.create(sent.b_id, entity)
    [result] = await client.batch([item], request_id=sent.batch_request_id)
    if result.missing:
        if sent.unanswered:
            raise _outcome_unknown(sent)
        return None
    if result.error is not None:
        await ledger.forget(client.realm_id, [request_id])
        raise result.error
    if not isinstance(result.entity, type(entity)):
        raise QuickBooksError("batch answer has no entity for the item")
    return result.entity


def _outcome_unknown(sent: SentAs) -> QuickBooksOutcomeUnknown:
    error = QuickBooksOutcomeUnknown(
        f"QuickBooks answered batch request {sent.batch_request_id} without item"
        f" {sent.b_id}: whether this record was written is unknown"
    )
    error.hint = (
        "look for the record in QuickBooks; it is not created again on its own, as that"
        " could write it twice"
    )
    return error


_BATCHER: ContextVar[WriteBatcher | None] = ContextVar("qbsync_write_batcher", default=None)
# The batcher the current unit of work takes part in.
_MEMBER: ContextVar[WriteBatcher | None] = ContextVar("qbsync_batch_member", default=None)


_RESENDING: ContextVar[SentLedger | None] = ContextVar("qbsync_resending", default=None)


@contextmanager
def resending(ledger: SentLedger) -> Iterator[None]:
    """Creates made inside the block repeat an earlier attempt that may have sent them in a
    batch: each looks itself up in ``ledger`` first (``sent_before``)."""
    token = _RESENDING.set(ledger)
    try:
        yield
    finally:
        _RESENDING.reset(token)


async def sent_before(
    client: QuickBooksClient, entity: WritableEntity, request_id: str
) -> WritableEntity | None:
    """Inside ``resending``: the create's earlier batch request again (``send_again``), when
    it went out in one; None when it did not, or that request went without it."""
    ledger = _RESENDING.get()
    if ledger is None:
        return None
    sent = (await ledger.earlier(client.realm_id, [request_id])).get(request_id)
    if sent is None:
        return None
    return await send_again(client, entity, sent, ledger=ledger, request_id=request_id)


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


@contextmanager
def stepping_aside() -> Iterator[None]:
    """The current unit waits for something another unit holds until it commits (an
    entity's lock): the batch it takes part in does not wait for its create meanwhile, or
    a holder waiting on that batch would wait for the linger."""
    batcher = _MEMBER.get()
    if batcher is None:
        yield
        return
    with batcher.aside():
        yield
