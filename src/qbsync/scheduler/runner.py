"""The scheduler loop of one process: lease realms, run their work within their limits.

Each pass renews the leases this process holds, leases more realms while it has room
(the most urgent, then the least recently served first), and hands each leased realm a
share of the process's slots: one sync at a time per realm in turn, never more than
``realm_concurrency`` for a realm, and none while the realm's limiter would make the sync
wait. It leases no more realms than its free slots can feed, leaving the others to
instances with room. A burst of one kind (two or more ready works of one organization and
kind) runs as a group whose creates share batch requests (``_next``). A realm with no due
work is handed back at once; a realm served longer than ``turn_s`` is handed back when
other realms wait and this process has no room for them (every slot busy, or
``max_realms`` held).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qbsync.config import SchedulerSettings
from qbsync.db import direct
from qbsync.metrics import REALM_LEASES, REALM_UTILISATION, SCHEDULER_PAUSED
from qbsync.quickbooks.batch import MAX_BATCH_ITEMS
from qbsync.quickbooks.batching import WriteBatcher, pooling_creates
from qbsync.quickbooks.limiter import RealmLimiter, RealmLimiters
from qbsync.scheduler import repository
from qbsync.scheduler.errors import DatabaseUnavailable
from qbsync.scheduler.execution import (
    Batching,
    Execute,
    GroupFailed,
    is_outage,
    park_bugs,
    park_crashed,
    run_attempt,
    run_group,
)
from qbsync.scheduler.models import PendingWork, Priority
from qbsync.scheduler.wakeups import WorkListener, listen_dsn

log = logging.getLogger(__name__)

# The longest a burst waits for its organization's works of the kinds it depends on.
DEPENDENCY_WAIT_S = 10.0

# Work taken this many times more than its attempts allow, without an outcome, is parked.
CRASH_ALLOWANCE = 3
MAX_OUTAGE_PAUSE_S = 15.0


def instance_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class _Lane:
    lane: str
    limiter: RealmLimiter | None  # None for an organization that is not connected
    leased_at: float
    last_dispatch: float = 0.0
    in_flight: set[int] = field(default_factory=set)
    # Taken (RUNNING) in one batch, not started yet: the next syncs start without a query.
    ready: deque[PendingWork] = field(default_factory=deque)
    ending: bool = False  # its turn is over: no new work, handed back once idle
    urgent: bool = False  # a person's work may be waiting: take it ahead of ``ready``
    groups: int = 0  # bursts running (each counts as one sync against the realm's cap)
    running: Counter[tuple[int, str]] = field(default_factory=Counter)  # groups by key
    grouped: int = 0  # works of ``in_flight`` that run in those groups
    busy: Counter[tuple[int, str]] = field(default_factory=Counter)  # works running, by key
    held: dict[tuple[int, str], float] = field(default_factory=dict)  # bursts waiting since

    @property
    def load(self) -> int:
        """Syncs running against the realm's cap: a group's creates leave as one request
        at a time (its batches), so it counts once."""
        return len(self.in_flight) - self.grouped + self.groups


@dataclass
class _Group:
    """Works of one burst: one shared transaction; their creates pooled by one batcher."""

    batcher: WriteBatcher
    key: tuple[int, str]


class RealmPacing:
    """The limiter of a realm and its hand-over through the lease row."""

    def __init__(self, limiters: RealmLimiters, *, lease_s: float) -> None:
        self._limiters = limiters
        self._lease_s = lease_s

    def take_over(self, lease: repository.Lease) -> RealmLimiter | None:
        if lease.lane.startswith("org:"):
            return None
        limiter = self._limiters.for_realm(lease.lane)
        starts = lease.recent_starts
        if lease.expired_until is not None:
            starts = starts + self._unknown_starts(limiter, lease.expired_until)
        limiter.restore(starts, lease.paused_until, wall_now=time.time())
        return limiter

    def _unknown_starts(self, limiter: RealmLimiter, expired_until: float) -> list[float]:
        """A holder that died saved its pacing at its last renewal; until its next renewal
        (a third of a lease later) it may have sent requests nobody knows of. Count them
        as sent at the full rate, at the latest moment they could have been."""
        renewed_at = expired_until - self._lease_s
        unknown_s = self._lease_s / 3
        count = min(limiter.per_minute, math.ceil(limiter.per_second * unknown_s))
        return [renewed_at + unknown_s] * count

    @staticmethod
    def hand_over(limiter: RealmLimiter | None) -> tuple[list[float], float | None]:
        if limiter is None:
            return [], None
        return limiter.history(wall_now=time.time())


class Scheduler:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        execute: Execute,
        limiters: RealmLimiters,
        settings: SchedulerSettings,
        holder: str | None = None,
        on_settled: Callable[[int], None] | None = None,
        listen: bool = True,
        batching: Batching | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._engine = direct.engine_of(sessionmaker)
        self._execute = execute
        self._batching = batching
        self._pacing = RealmPacing(limiters, lease_s=settings.lease_s)
        self._settings = settings
        self.holder = holder or instance_id()
        self._on_settled = on_settled
        self._lanes: dict[str, _Lane] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}  # by work: a group's, its members'
        self._slots: set[asyncio.Task[None]] = set()
        self._stranded: set[int] = set()  # taken, not attempted: pending again when we can
        self._unstarted: set[int] = set()  # taken ahead, never started: likewise
        self._wakeup = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._renew_at = 0.0
        # Claiming: at once when told of new work, else at a poll interval that doubles
        # while claims find nothing (up to ``idle_poll_max_s``; while notifications work).
        self._told = True
        self._poll_s = settings.poll_interval_s
        self._claim_at = 0.0
        # When work of a realm this process handed back falls due (a retry's delay): nobody
        # is told then, so the idle poll must not sleep past it.
        self._due_at = math.inf
        self._listener = (
            WorkListener(
                listen_dsn(self._engine.url),
                on_work=self._work_notified,
                on_connected=self.wake,
            )
            if listen
            else None
        )

    @property
    def lanes(self) -> set[str]:
        return set(self._lanes)

    @property
    def running(self) -> int:
        return len(self._tasks)

    def wake(self) -> None:
        """Look for work now: claim realms, take work (new work may have come in)."""
        self._told = True
        self._wakeup.set()

    def work_for(self, lane: str, *, urgent: bool = False) -> None:
        """Work was committed for ``lane``: its holder here takes it (a person's first), or
        the loop looks for a realm to claim."""
        held = self._lanes.get(lane)
        if held is None:
            self._told = True
        elif urgent:
            held.urgent = True
        self._wakeup.set()

    def _work_notified(self, lane: str) -> None:
        # Notifications come for realms nobody held and for a person's work: either way the
        # realm may have work a person waits for.
        self.work_for(lane, urgent=True)

    async def start(self) -> None:
        self._stopping = False
        if self._listener is not None:
            self._listener.start()
        self._loop_task = asyncio.create_task(self._loop(), name="scheduler")
        log.info("scheduler started", extra={"holder": self.holder})

    async def stop(self, grace_s: float = 20.0) -> None:
        """Take no more work, let running syncs finish for up to ``grace_s``, put the rest
        back, and hand every realm back with its pacing."""
        self._stopping = True
        self._wakeup.set()
        if self._loop_task is not None:
            await self._loop_task
            self._loop_task = None
        if self._listener is not None:
            await self._listener.stop()
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks.values()), timeout=grace_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        try:
            for lane in list(self._lanes.values()):
                self._strand_ready(lane)
            await self._put_back_stranded()
            for lane in list(self._lanes.values()):
                await self._release(lane)
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning("realms not handed back at stop; their leases expire instead")
        self._lanes.clear()
        REALM_LEASES.set(0)

    async def serve_now(self, name: str) -> bool:
        """Run the realm's waiting manual work at once when this process holds the realm: a
        person does not wait for the holder's running syncs, and the requests still go
        through the realm's limiter (ahead of the backlog's). True when some work ran."""
        lane = self._lanes.get(name)
        if lane is None or lane.ending or self._stopping:
            return False
        tasks = await self._take_urgent(lane)
        if tasks:
            await asyncio.wait(tasks)
        return bool(tasks)

    async def _loop(self) -> None:
        pause = 0.0
        while not self._stopping:
            self._wakeup.clear()
            try:
                delay = await self._pass()
                if pause:
                    log.info("database reachable again; scheduling resumed")
                pause = 0.0
                SCHEDULER_PAUSED.set(0)
            except Exception as exc:
                if not is_outage(exc) and not isinstance(exc, DatabaseUnavailable):
                    log.exception("scheduler pass failed")
                else:
                    log.warning("database unavailable; taking no work", extra={"pause_s": pause})
                    SCHEDULER_PAUSED.set(1)
                pause = min(max(pause * 2, 0.5), MAX_OUTAGE_PAUSE_S)
                delay = pause
                self._told = True  # look everywhere once it is back
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=delay)

    async def _pass(self) -> float:
        """One round of lease upkeep, dispatching and claiming; returns when to look again."""
        settings = self._settings
        await self._put_back_stranded()
        now = time.monotonic()
        if now >= self._renew_at:
            await self._renew(now)
        await self._hand_back_idle()
        for lane in [x for x in self._lanes.values() if x.urgent and not x.ending]:
            await self._take_urgent(lane)
        next_look = self._renew_at - time.monotonic()
        # The realms held first.
        wait = await self._dispatch_round()
        if wait is None:
            return 0.0  # lease upkeep first
        next_look = min(next_look, wait)
        # Then, for the slots they leave free, more realms: no more than those slots can
        # feed, the rest are left to instances with room (a realm paced by its limiter
        # leaves its slots free, so more come). A realm's syncs take up to
        # ``realm_concurrency`` slots; with batching, a burst of up to 30 takes one.
        room = settings.max_realms - len(self._lanes)
        per_realm = 1 if self._batching is not None else settings.realm_concurrency
        free = self._free_slots()
        if (
            room > 0
            and free > 0
            and (self._told or now >= self._claim_at)
            and await self._claim(min(room, math.ceil(free / per_realm)))
        ):
            wait = await self._dispatch_round()
            if wait is None:
                return 0.0  # lease upkeep first
            next_look = min(next_look, wait)
        await self._hand_back_idle()
        self._observe()
        if len(self._lanes) < settings.max_realms and self._free_slots() > 0:
            # Otherwise a sync that ends wakes the loop.
            claim_in = 0.0 if self._told else self._claim_at - time.monotonic()
            next_look = min(next_look, claim_in)
        return max(0.0, next_look)

    async def _dispatch_round(self) -> float | None:
        """Start syncs of the held realms while slots are free, one per realm in turn;
        returns when a realm's limiter is ready again (None: renew the leases first)."""
        next_look = math.inf
        progress = True
        while progress and self._free_slots() > 0:
            if time.monotonic() >= self._renew_at:
                # Work that flows as fast as it is taken must not starve lease upkeep.
                return None
            progress = False
            for lane in sorted(self._lanes.values(), key=lambda x: x.last_dispatch):
                if self._free_slots() <= 0:
                    break
                if lane.ending or lane.load >= self._lane_cap(lane):
                    continue
                wait = lane.limiter.ready_in() if lane.limiter is not None else 0.0
                if wait > 0:
                    next_look = min(next_look, wait)
                    continue
                if not lane.ready and not await self._take(lane):
                    continue
                sending = await self._next(lane)
                if sending is None:
                    continue  # its works wait to join the next group
                if isinstance(sending, PendingWork):
                    self._dispatch(lane, sending)
                else:
                    self._dispatch_group(lane, *sending)
                progress = True
        return next_look

    def _lane_cap(self, lane: _Lane) -> int:
        """Syncs of the realm at once: ``realm_concurrency``, but no more than its requests
        per second (each sync makes at least one request; more would only wait for the
        rate while holding slots that other realms could use)."""
        cap = self._settings.realm_concurrency
        if lane.limiter is not None:
            cap = min(cap, max(2, lane.limiter.per_second))
        return cap

    def _free_slots(self) -> int:
        """Slots are syncs running alone and groups (a group's members share a transaction,
        so a connection, and their creates leave one batch request at a time)."""
        return self._settings.concurrency - len(self._slots)

    async def _renew(self, now: float) -> None:
        settings = self._settings
        async with self._sessionmaker.begin() as session:
            pacing = {
                name: self._pacing.hand_over(lane.limiter) for name, lane in self._lanes.items()
            }
            kept = await repository.renew_leases(
                session, holder=self.holder, pacing=pacing, lease_s=settings.lease_s
            )
            at_capacity = len(kept) >= settings.max_realms or self._free_slots() <= 0
            waiting = await repository.waiting_lanes(session) if at_capacity else 0
        for name in set(self._lanes) - kept:
            log.warning("realm lease lost; another instance serves it now", extra={"lane": name})
            self._drop(name)
        if waiting:
            # Fairness: realms served longest hand over to the ones waiting for a turn.
            longest = sorted(self._lanes.values(), key=lambda x: x.leased_at)
            for lane in longest[:waiting]:
                if now - lane.leased_at >= settings.turn_s:
                    self._end_turn(lane)
        self._renew_at = now + settings.lease_s / 3

    async def _claim(self, room: int) -> bool:
        """Lease up to ``room`` realms with due work; True when some were leased."""
        settings = self._settings
        self._told = False
        async with self._sessionmaker.begin() as session:
            leases = await repository.claim_lanes(
                session, holder=self.holder, limit=room, lease_s=settings.lease_s
            )
        now = time.monotonic()
        for lease in leases:
            limiter = self._pacing.take_over(lease)
            self._lanes[lease.lane] = _Lane(lease.lane, limiter, leased_at=now)
        listening = self._listener is None or self._listener.connected
        if leases:
            self._poll_s = settings.poll_interval_s
            # As many as asked for: there may be more, look again at once.
            self._told = len(leases) >= room
        elif listening:
            longest = max(settings.idle_poll_max_s, settings.poll_interval_s)
            self._poll_s = min(self._poll_s * 2, longest)
        else:
            self._poll_s = settings.poll_interval_s
        if self._due_at <= now:
            self._due_at = math.inf  # this was the look it asked for
        self._claim_at = min(now + self._poll_s, self._due_at)
        return bool(leases)

    async def _take(self, lane: _Lane) -> bool:
        """Take the realm's next due work, up to ``realm_concurrency`` in one transaction
        (with batching: up to a batch request's 30 items, so a burst can fill one); False
        when none is due (the realm is handed back once idle)."""
        limit = self._settings.realm_concurrency
        if self._batching is not None and lane.limiter is not None:
            limit = max(limit, MAX_BATCH_ITEMS)
        taken = await self._take_due(lane, limit=limit)
        lane.ready.extend(taken)
        if not taken:
            # The realm's slots free up as its last syncs end: look for another realm now
            # rather than at the next poll (claims that found nothing may have spaced it).
            self._claim_at = 0.0
            if not lane.in_flight:
                lane.ending = True  # nothing due: hand the realm back
        return bool(lane.ready)

    async def _take_urgent(self, lane: _Lane) -> list[asyncio.Task[None]]:
        """A person's work of the realm starts now, beyond the realm's and the process's
        share of slots: it is a handful of syncs, and the limiter still paces them."""
        lane.urgent = False
        taken = await self._take_due(
            lane, limit=self._settings.realm_concurrency, max_priority=Priority.INTERACTIVE
        )
        return [self._dispatch(lane, work) for work in taken]

    async def _take_due(
        self, lane: _Lane, *, limit: int, max_priority: Priority | None = None
    ) -> list[PendingWork]:
        # In a transaction, not autocommit: a connection lost during the statement rolls the
        # take back rather than leave works RUNNING that nobody knows it took. A crash before
        # the parking below leaves them RUNNING, and the next holder's take parks them.
        async with direct.transaction(self._engine) as connection:
            taken = await repository.take_due(
                connection,
                lane=lane.lane,
                holder=self.holder,
                limit=limit,
                max_priority=max_priority,
            )
        crashed = [work for work in taken if work.claims > work.max_attempts + CRASH_ALLOWANCE]
        if crashed:
            async with self._sessionmaker.begin() as session:
                for work in crashed:
                    await park_crashed(session, work)
            for work in crashed:
                log.error("work parked: taken repeatedly without an outcome", extra={"id": work.id})
        return [work for work in taken if work not in crashed]

    async def _next(
        self, lane: _Lane
    ) -> tuple[list[PendingWork], WriteBatcher] | PendingWork | None:
        """What the realm sends next: a group, one work alone, or nothing for now.

        A group is up to a batch request's 30 ready works of one organization and kind; it
        takes one of the process's slots (its members share one transaction, so one
        connection: execution.run_group). Only first sends: a work taken or tried
        before may have sent its create already, and only that same request again is
        answered from QBO's replay store (``Batching.repeating``); none a person waits for
        (they go alone, at once).

        The realm's 40 batch requests a minute are the scarce part, so batches go as full
        as they can: a full group starts whenever they allow; a part-filled one only while
        no group of its organization and kind runs: until then its works wait and join the
        next (a burst that arrives over time fills its batches), and the realm's other
        works go on. Once the minute's batches are spent, works go alone on the request
        allowance."""
        limiter = lane.limiter
        if self._batching is None or limiter is None or limiter.batch_room() <= lane.groups:
            return lane.ready.popleft()
        full = MAX_BATCH_ITEMS
        filling = self._waiting_for_dependencies(lane)
        topped_up = False
        for key in list(dict.fromkeys(k for k in map(_key, lane.ready) if k is not None)):
            if key in filling:
                continue
            burst = _burst_of(lane, key)
            if len(burst) < 2:
                continue  # a lone work: it goes alone
            if len(burst) < full:
                if lane.running[key]:
                    filling.add(key)  # it joins the next group
                    continue
                if not topped_up:  # due since: one take per group
                    topped_up = True
                    lane.ready.extend(await self._take_due(lane, limit=full - len(burst)))
                    burst = _burst_of(lane, key)
            burst = burst[:full]
            batcher = self._batching.batcher(burst[0])
            if batcher is None:  # a kind that is not grouped
                continue
            ids = {work.id for work in burst}
            lane.ready = deque(work for work in lane.ready if work.id not in ids)
            return burst, batcher
        for work in lane.ready:
            if _key(work) not in filling:
                lane.ready.remove(work)
                return work
        return None

    def _waiting_for_dependencies(self, lane: _Lane) -> set[tuple[int, str]]:
        """Bursts that wait for the realm's works of the kinds they depend on, in the same
        organization (invoices for the customers being created): run together, every
        invoice of a new customer would wait on the customer's group or create the customer
        itself. A burst waits at most ``DEPENDENCY_WAIT_S`` (a steady stream of customers
        must not hold an organization's invoices back for ever)."""
        assert self._batching is not None
        pending = Counter(key for key in map(_key, lane.ready) if key is not None)
        now = time.monotonic()
        held: set[tuple[int, str]] = set()
        for key in pending:
            organization_id, kind = key
            if any(
                lane.busy[(organization_id, needed)] or pending[(organization_id, needed)]
                for needed in self._batching.depends_on(kind)
            ):
                since = lane.held.setdefault(key, now)
                if now - since < DEPENDENCY_WAIT_S:
                    held.add(key)
                    continue
            lane.held.pop(key, None)
        for key in [key for key in lane.held if key not in pending]:
            del lane.held[key]  # gone meanwhile: a later burst of it waits afresh
        return held

    def _repeating(self) -> contextlib.AbstractContextManager[None]:
        """How a work that runs alone sends its creates: a create that already went out in
        a batch goes as that batch request again (a group's members: their batcher does it).

        That is the duplicate guard (the sent-batch ledger), and it is consulted for every
        create, not only a repeat's: whether a record's create went out in a batch is a fact
        about the record, not about this row. A fresh row (no attempts, no claims) may
        serve a record that went out before: a replayed parked work, or a twin that took
        over from a failed row. One indexed read per create."""
        if self._batching is not None:
            return self._batching.repeating()
        return contextlib.nullcontext()

    def _dispatch_group(self, lane: _Lane, works: list[PendingWork], batcher: WriteBatcher) -> None:
        group = _Group(batcher, (works[0].organization_id, works[0].kind))
        lane.groups += 1
        lane.running[group.key] += 1
        lane.grouped += len(works)
        lane.last_dispatch = time.monotonic()
        task = asyncio.create_task(
            self._run_group(lane, works, group), name=f"group-{works[0].id}-{len(works)}"
        )
        self._slots.add(task)
        for work in works:
            lane.in_flight.add(work.id)
            lane.busy[(work.organization_id, work.kind)] += 1
            self._tasks[work.id] = task

    def _dispatch(self, lane: _Lane, work: PendingWork) -> asyncio.Task[None]:
        lane.in_flight.add(work.id)
        lane.busy[(work.organization_id, work.kind)] += 1
        lane.last_dispatch = time.monotonic()
        task = asyncio.create_task(self._run(lane, work), name=f"work-{work.id}")
        self._tasks[work.id] = task
        self._slots.add(task)
        return task

    async def _run(self, lane: _Lane, work: PendingWork) -> None:
        settled = False
        try:
            with self._repeating():
                await run_attempt(
                    self._sessionmaker, self._execute, work, delays=self._settings.retry_delays_s
                )
            settled = True
        except DatabaseUnavailable:
            self._stranded.add(work.id)
            log.warning("database unavailable during a sync; it runs again later")
        except asyncio.CancelledError:
            self._stranded.add(work.id)
            raise
        except Exception:
            self._stranded.add(work.id)
            log.exception("work settlement failed; it runs again later")
        finally:
            self._finished(lane, [work], settled=settled)

    async def _run_group(self, lane: _Lane, works: list[PendingWork], group: _Group) -> None:
        """The group's works in one shared transaction (execution.run_group): settled
        together, or, when a member raised, parked (that member) or run again later."""
        settled = False
        try:
            await run_group(
                self._sessionmaker,
                self._execute,
                works,
                delays=self._settings.retry_delays_s,
                joining=lambda: _pooled(group.batcher),
                prepare=self._batching.prepare if self._batching is not None else None,
            )
            settled = True
        except GroupFailed as failed:
            log.warning(
                "a group's transaction rolled back; its works run again",
                extra={"works": len(works), "bugs": len(failed.bugs)},
            )
            try:
                await park_bugs(self._sessionmaker, works, failed.bugs)
            except Exception:
                log.exception("parking a group's failed works failed; they run again later")
                self._stranded.update(failed.bugs)
            self._stranded.update(work.id for work in works if work.id not in failed.bugs)
        except DatabaseUnavailable:
            self._stranded.update(work.id for work in works)
            log.warning(
                "database unavailable during a group's syncs; they run again later",
                exc_info=True,
            )
        except asyncio.CancelledError:
            self._stranded.update(work.id for work in works)
            raise
        except Exception:
            self._stranded.update(work.id for work in works)
            log.exception("group settlement failed; its works run again later")
        finally:
            lane.groups -= 1
            lane.running[group.key] -= 1
            lane.grouped -= len(works)
            self._finished(lane, works, settled=settled)

    def _finished(self, lane: _Lane, works: list[PendingWork], *, settled: bool) -> None:
        """The slot of the calling task (a work alone, or a group) is free again."""
        for work in works:
            lane.in_flight.discard(work.id)
            lane.busy[(work.organization_id, work.kind)] -= 1
            self._tasks.pop(work.id, None)
        self._slots.difference_update({asyncio.current_task()})
        self._wakeup.set()
        if settled and self._on_settled is not None:
            for work in works:
                self._on_settled(work.id)

    def _end_turn(self, lane: _Lane) -> None:
        lane.ending = True
        self._strand_ready(lane)

    def _strand_ready(self, lane: _Lane) -> None:
        """Taken but not started: pending again (at the next pass, or at stop)."""
        self._unstarted.update(work.id for work in lane.ready)
        lane.ready.clear()

    async def _put_back_stranded(self) -> None:
        if not self._stranded and not self._unstarted:
            return
        ids, unstarted = list(self._stranded), list(self._unstarted)
        async with self._sessionmaker.begin() as session:
            await repository.put_back(session, ids)
            await repository.put_back(session, unstarted, unstarted=True)
        self._stranded.difference_update(ids)
        self._unstarted.difference_update(unstarted)

    async def _hand_back_idle(self) -> None:
        for lane in [x for x in self._lanes.values() if x.ending and not x.in_flight]:
            await self._put_back_stranded()
            await self._release(lane)

    async def _release(self, lane: _Lane) -> None:
        starts, paused = self._pacing.hand_over(lane.limiter)
        async with self._sessionmaker.begin() as session:
            due_in = await repository.release_lease(
                session,
                holder=self.holder,
                lane=lane.lane,
                recent_starts=starts,
                paused_until=paused,
            )
        if due_in is not None and due_in > 0:
            self._due_at = min(self._due_at, time.monotonic() + due_in)
        self._drop(lane.lane)
        self._claim_at = 0.0  # room for another realm

    def _drop(self, name: str) -> None:
        lane = self._lanes.pop(name, None)
        if lane is not None and lane.limiter is not None:
            with contextlib.suppress(KeyError):  # never observed
                REALM_UTILISATION.remove(name)

    def _observe(self) -> None:
        REALM_LEASES.set(len(self._lanes))
        for lane in self._lanes.values():
            if lane.limiter is not None:
                starts, _ = lane.limiter.history(wall_now=time.time())
                REALM_UTILISATION.labels(lane.lane).set(len(starts) / lane.limiter.per_minute)


def _burst_of(lane: _Lane, key: tuple[int, str]) -> list[PendingWork]:
    return [work for work in lane.ready if _key(work) == key]


def _key(work: PendingWork) -> tuple[int, str] | None:
    """The burst ``work`` may join: its organization and kind, if it is a first send."""
    return (work.organization_id, work.kind) if _first_send(work) else None


def _first_send(work: PendingWork) -> bool:
    """Whether the work may join a group. It only picks who is batched: a work that may
    have sent its create already goes alone; the ledger (``_repeating``) is what keeps any
    create from going out twice."""
    return work.priority != Priority.INTERACTIVE and not _repeat(work)


def _repeat(work: PendingWork) -> bool:
    """Tried before, or taken before without an outcome: its create may have gone out (a
    fresh row may too, see ``_repeating``)."""
    return work.attempts > 0 or work.claims > 1


@contextlib.contextmanager
def _pooled(batcher: WriteBatcher) -> Iterator[None]:
    with pooling_creates(batcher), batcher.taking_part():
        yield
