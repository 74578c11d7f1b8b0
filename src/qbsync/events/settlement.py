"""How a consumed message is settled: ack, delayed retry, park, or hand back to the broker.

The order is always: decide → record the outcome (sync log) → publish the copy with a
confirm → ack the original. If the recorder or the publish fails, the original is not
acked: it is handed back (nack with requeue, after a short pause so a broken database or
broker is not hammered) and the decision is made again on redelivery. That can repeat a
sync-log row or, when an ack is lost, a copy; it never loses a message. Handlers are
idempotent, so the duplicates are harmless.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

from aio_pika.abc import AbstractIncomingMessage, HeadersType
from aio_pika.exceptions import AMQPError, ChannelInvalidStateError, MessageProcessError

from qbsync.config import AmqpSettings
from qbsync.errors import ErrorCategory
from qbsync.events import headers as h
from qbsync.events.errors import BrokerUnavailable
from qbsync.events.outcomes import RETRY_SCHEDULED, OutcomeRecorder, ParkReason, RunnerOutcome
from qbsync.events.publisher import Publisher
from qbsync.events.schemas import EVENT_TYPES, parse_json
from qbsync.events.topology import RETRY_DELAY_HEADER, TopologyNames, delay_ms
from qbsync.ids import parse_id
from qbsync.metrics import EVENTS

log = logging.getLogger(__name__)

RECORDER_BACKOFF_S: Final = (0.2, 1.0)  # in-process retries of a failing recorder
HAND_BACK_PAUSE_S: Final = 1.0
# The pause doubles with each redelivery up to this, so that a database outage uses up the
# queue's delivery limit only after many minutes, not seconds.
HAND_BACK_MAX_PAUSE_S: Final = 30.0
DELIVERY_COUNT_HEADER: Final = "x-delivery-count"  # set by quorum queues on redelivery
_SETTLE_ERRORS = (AMQPError, ChannelInvalidStateError, MessageProcessError, ConnectionError)


@dataclass(frozen=True)
class MessageContext:
    """What a handler knows about the delivery besides the event."""

    correlation_id: str
    message_id: str | None
    attempt: int  # 1-based; redeliveries by the broker keep the number
    routing_key: str  # the event type's routing key, even for a retried copy
    queue: str
    redelivered: bool
    received_at: datetime
    trigger: str | None  # x-qbsync-trigger: WEBHOOK, MANUAL, BACKFILL… when qbsync published it


@dataclass(frozen=True)
class Failure:
    """Why a message could not be acked: ``reason`` is the ParkReason it gets if parked."""

    reason: str
    category: ErrorCategory
    code: str
    message: str
    retry_budget: int | None = None  # the error's own cap on delayed retries


class Settler:
    def __init__(
        self,
        *,
        settings: AmqpSettings,
        names: TopologyNames,
        publisher: Publisher,
        recorder: OutcomeRecorder,
    ) -> None:
        self._settings = settings
        self._names = names
        self._publisher = publisher
        self._recorder = recorder
        self.stopping = False

    async def done(self, message: AbstractIncomingMessage, ctx: MessageContext) -> None:
        """The handler finished (synced, skipped or logged): ack."""
        EVENTS.labels(ctx.queue, "acked").inc()
        await self.ack(message)

    async def ack(self, message: AbstractIncomingMessage) -> None:
        try:
            await message.ack()
        except _SETTLE_ERRORS:
            # The channel died under us; the broker redelivers the message.
            log.info("ack lost with the channel; the broker will redeliver")

    async def hand_back(self, message: AbstractIncomingMessage, *, pause: bool = True) -> None:
        if pause and not self.stopping:
            deliveries = h.header_int(message.headers, DELIVERY_COUNT_HEADER) or 0
            await asyncio.sleep(
                min(HAND_BACK_MAX_PAUSE_S, HAND_BACK_PAUSE_S * 2 ** min(deliveries, 5))
            )
        try:
            await message.nack(requeue=True)
        except _SETTLE_ERRORS:
            log.info("nack lost with the channel; the broker will redeliver")

    async def retry_or_park(
        self, message: AbstractIncomingMessage, ctx: MessageContext, failure: Failure
    ) -> None:
        delays = self._settings.retry_delays_s
        steps = (
            len(delays) if failure.retry_budget is None else min(len(delays), failure.retry_budget)
        )
        if ctx.attempt > steps:
            exhausted = Failure(
                ParkReason.ATTEMPTS_EXHAUSTED, failure.category, failure.code, failure.message
            )
            await self.park(message, ctx, exhausted)
            return
        delay_s = delays[ctx.attempt - 1]
        outcome = self._outcome(
            message, ctx, failure, status="RETRYING", reason=RETRY_SCHEDULED, next_delay_s=delay_s
        )
        if not await self._record(message, outcome):
            return
        headers = h.copy_headers(
            message.headers, drop={h.ATTEMPT, h.LAST_ERROR, RETRY_DELAY_HEADER}
        )
        headers |= {
            h.ATTEMPT: ctx.attempt + 1,
            h.LAST_ERROR: h.clip(f"{failure.code}: {failure.message}"),
            h.ROUTING_KEY: ctx.routing_key,
            RETRY_DELAY_HEADER: str(delay_ms(delay_s)),
        }
        # Routed by the headers exchange to the wait queue for this delay; the routing key
        # (the owning work queue) is where the wait queue dead-letters it back to.
        if await self._publish_copy(
            message,
            ctx,
            exchange=self._names.retry_exchange,
            routing_key=ctx.queue,
            headers=headers,
        ):
            log.info(
                "event retry scheduled",
                extra={
                    "correlation_id": ctx.correlation_id,
                    "attempt": ctx.attempt,
                    "delay_s": delay_s,
                    "error_code": failure.code,
                },
            )
            EVENTS.labels(ctx.queue, "retried").inc()
            await self.ack(message)

    async def park(
        self, message: AbstractIncomingMessage, ctx: MessageContext, failure: Failure
    ) -> None:
        outcome = self._outcome(
            message, ctx, failure, status="FAILED", reason=failure.reason, next_delay_s=None
        )
        if not await self._record(message, outcome):
            return
        headers = h.copy_headers(message.headers, drop=h.PARK_HEADERS | {RETRY_DELAY_HEADER})
        headers |= {
            h.PARK_REASON: failure.reason,
            h.ERROR_CODE: failure.code,
            h.ERROR_CATEGORY: failure.category,
            h.ERROR_MESSAGE: h.clip(failure.message),
            h.PARKED_AT: datetime.now(UTC).isoformat(),
            h.ATTEMPTS: ctx.attempt,
            h.SOURCE_QUEUE: ctx.queue,
            h.ROUTING_KEY: ctx.routing_key,
            h.ORIGINAL_MESSAGE_ID: message.message_id or "",
        }
        subject = {
            h.ORGANIZATION_ID: outcome.organization_id,
            h.ENTITY_TYPE: outcome.entity_type,
            h.ENTITY_ID: outcome.entity_id,
        }
        headers |= {key: value for key, value in subject.items() if value is not None}
        # Every parked copy gets its own id: the same event can be parked more than once.
        if await self._publish_copy(
            message,
            ctx,
            exchange="",
            routing_key=self._names.parking_queue,
            headers=headers,
            message_id=uuid.uuid4().hex,
        ):
            log.warning(
                "event parked",
                extra={
                    "correlation_id": ctx.correlation_id,
                    "park_reason": failure.reason,
                    "error_code": failure.code,
                    "attempts": ctx.attempt,
                },
            )
            EVENTS.labels(ctx.queue, "parked").inc()
            await self.ack(message)

    async def _publish_copy(
        self,
        message: AbstractIncomingMessage,
        ctx: MessageContext,
        *,
        exchange: str,
        routing_key: str,
        headers: HeadersType,
        message_id: str | None = None,
    ) -> bool:
        try:
            await self._publisher.publish_raw(
                message.body,
                exchange=exchange,
                routing_key=routing_key,
                headers=headers,
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                message_id=message_id or message.message_id or ctx.correlation_id,
                correlation_id=ctx.correlation_id,
            )
        except BrokerUnavailable as exc:
            log.warning(
                "could not publish a copy; handing the message back",
                extra={"correlation_id": ctx.correlation_id, "error": str(exc)},
            )
            await self.hand_back(message)
            return False
        return True

    async def _record(self, message: AbstractIncomingMessage, outcome: RunnerOutcome) -> bool:
        for pause in (*RECORDER_BACKOFF_S, None):
            try:
                await self._recorder.record(outcome)
            except Exception:
                log.exception(
                    "outcome recorder failed", extra={"correlation_id": outcome.correlation_id}
                )
                if pause is None:
                    await self.hand_back(message)
                    return False
                await asyncio.sleep(pause)
            else:
                return True
        return False  # pragma: no cover - the loop always returns

    def _outcome(
        self,
        message: AbstractIncomingMessage,
        ctx: MessageContext,
        failure: Failure,
        *,
        status: Literal["RETRYING", "FAILED"],
        reason: str,
        next_delay_s: float | None,
    ) -> RunnerOutcome:
        entity_type, entity_id, org_id = _peek_ids(message.body, ctx.routing_key)
        return RunnerOutcome(
            status=status,
            reason=reason,
            category=failure.category,
            code=failure.code,
            message=h.clip(failure.message),
            attempts=ctx.attempt,
            next_delay_s=next_delay_s,
            routing_key=ctx.routing_key,
            queue=ctx.queue,
            entity_type=entity_type,
            entity_id=entity_id,
            organization_id=org_id,
            correlation_id=ctx.correlation_id,
            message_id=message.message_id,
            body_excerpt=h.body_excerpt(message.body),
            occurred_at=datetime.now(UTC),
        )


def _peek_ids(body: bytes, routing_key: str) -> tuple[str | None, str | None, int | None]:
    """Best-effort (entity type, entity id, org id) from a body that may not be valid."""
    model = EVENT_TYPES.get(routing_key)
    entity_type = model.entity_type if model is not None else None
    if len(body) > 64 * 1024:
        return entity_type, None, None
    try:
        data = parse_json(body)
    except (ValueError, RecursionError):
        return entity_type, None, None
    if not isinstance(data, dict):
        return entity_type, None, None
    raw_entity = data.get(model.id_key()) if model is not None else None
    entity_id = str(raw_entity) if isinstance(raw_entity, int | str) and raw_entity != "" else None
    org_id = parse_id(data.get("organizationId"))
    return entity_type, h.clip(entity_id, 100) if entity_id else None, org_id
