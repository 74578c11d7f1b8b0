"""Intuit's webhook: QuickBooks tells qbsync what people changed in a connected company.

Public (Intuit calls it) and authenticated by the ``intuit-signature`` HMAC of the raw body.
A well-signed delivery is always answered 200 quickly, whatever it holds: Intuit retries a
refused delivery whole and may hold back later ones meanwhile. The events become pending
work; nothing QuickBooks-side is read here.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sqlalchemy.exc import DBAPIError

from qbsync.api.deps import ResourcesDep
from qbsync.errors import Unauthorized
from qbsync.metrics import WEBHOOK_EVENTS
from qbsync.reconcile.intake import Intake, take_delivery
from qbsync.reconcile.notifications import is_signed, read_delivery
from qbsync.scheduler.errors import DatabaseUnavailable
from qbsync.scheduler.execution import is_outage

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/quickbooks", tags=["intuit webhooks"])

INTUIT_WEBHOOK_PATH = "/api/quickbooks/webhook/intuit"
# Intuit: up to 100 events and about 1 MB per delivery.
INTUIT_WEBHOOK_MAX_BYTES = 1_048_576
# Deadlock detected, serialization failure: the transaction is run again, twice at most.
RETRIED_SQLSTATES = frozenset({"40P01", "40001"})
TRANSACTION_ATTEMPTS = 3


class WebhookAnswer(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    events: int
    queued: int
    duplicates: int
    stale: int
    own_writes: int
    unowned: int
    ignored: int
    malformed: int


@router.post(
    "/webhook/intuit",
    response_model=WebhookAnswer,
    responses={401: {"description": "unsigned, forged, or webhooks not configured"}},
)
async def intuit_webhook(
    request: Request,
    resources: ResourcesDep,
    intuit_signature: Annotated[str | None, Header(alias="intuit-signature")] = None,
) -> WebhookAnswer:
    body = await request.body()
    token = resources.settings.quickbooks.webhook_verifier_token
    if token is None or not is_signed(body, intuit_signature, token.get_secret_value()):
        WEBHOOK_EVENTS.labels("refused").inc()
        log.warning("intuit webhook refused: bad or missing signature", extra={"bytes": len(body)})
        raise Unauthorized(
            "the intuit-signature header does not match this body"
            if token is not None
            else "Intuit webhooks are not configured here (QBSYNC_QUICKBOOKS__WEBHOOK_VERIFIER_TOKEN)"
        )
    delivery = read_delivery(body)
    for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
        try:
            async with resources.sessionmaker.begin() as session:
                intake = await take_delivery(session, resources.scheduling, delivery)
            break
        except DBAPIError as exc:
            # Two deliveries (or a delivery and the scheduler) can still deadlock on the same
            # rows; the loser's transaction did nothing, so it is simply run again.
            if attempt < TRANSACTION_ATTEMPTS and _sqlstate(exc) in RETRIED_SQLSTATES:
                continue
            # Postgres away: 503 makes Intuit deliver again later; nothing was taken.
            if is_outage(exc):
                raise DatabaseUnavailable(f"database unavailable: {type(exc).__name__}") from exc
            raise
        except Exception as exc:
            if is_outage(exc):
                raise DatabaseUnavailable(f"database unavailable: {type(exc).__name__}") from exc
            raise
    resources.scheduling.wake()
    _count(intake)
    log.info("intuit webhook taken", extra=vars(intake))
    return WebhookAnswer(**vars(intake))


def _sqlstate(exc: DBAPIError) -> str | None:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code if isinstance(code, str) else None


def _count(intake: Intake) -> None:
    for outcome, count in vars(intake).items():
        if outcome != "events" and count:
            WEBHOOK_EVENTS.labels(outcome).inc(count)
