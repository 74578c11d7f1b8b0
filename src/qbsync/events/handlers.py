"""The event handler: each event becomes pending work of the kind it triggers.

The work row commits before the runner acks the message, and the sync runs later in its
realm's turn (docs/scheduling.md): repeated events for a record coalesce while it waits.
Postgres away: ``DatabaseUnavailable`` (retryable), so the message takes the ingress's
delayed retry and nothing is lost or counted.
"""

from __future__ import annotations

import logging

from qbsync.events.runner import Handler
from qbsync.events.schemas import Event
from qbsync.events.settlement import MessageContext
from qbsync.logging import log_context
from qbsync.scheduler.errors import DatabaseUnavailable
from qbsync.scheduler.models import Priority
from qbsync.scheduler.service import Scheduling
from qbsync.sync.models import SyncTrigger
from qbsync.sync.registry import by_event

__all__ = ["DatabaseUnavailable", "build_handler"]

log = logging.getLogger(__name__)

# Work nobody waits for, which yields to events: backfills.
_BULK_TRIGGERS = frozenset({SyncTrigger.BACKFILL})


def _trigger(ctx: MessageContext) -> SyncTrigger:
    try:
        return SyncTrigger(ctx.trigger) if ctx.trigger else SyncTrigger.EVENT
    except ValueError:
        return SyncTrigger.EVENT


def build_handler(scheduling: Scheduling) -> Handler:
    async def handle(event: Event, ctx: MessageContext) -> None:
        kind = by_event(type(event))
        trigger = _trigger(ctx)
        request = scheduling.request(
            organization_id=event.organization_id,
            kind=kind.entity_type,
            aforo_id=kind.aforo_id(kind.parse(event.entity_id)),
            priority=Priority.BULK if trigger in _BULK_TRIGGERS else Priority.EVENT,
            trigger=trigger,
            correlation_id=ctx.correlation_id,
            known=kind.event_details(event) if kind.event_details else None,
        )
        with log_context(correlation_id=ctx.correlation_id, org_id=event.organization_id):
            # Committed when this returns: the runner acks the message after it.
            queued = await scheduling.submit(request)
            if queued.coalesced:
                # Its sync-log rows will carry the correlation id of the request it joined:
                # this line is where this event's id leads.
                log.info(
                    "event joined the record's pending work",
                    extra={
                        "work_id": queued.work_id,
                        "aforo_id": request.aforo_id,
                        "correlation_id": ctx.correlation_id,
                    },
                )

    return handle
