"""Intuit's webhook deliveries: the signature check and both body formats, read into one
list of changes. Pure functions; what a change means is decided elsewhere (``changes.py``).

Legacy: ``{"eventNotifications":[{"realmId","dataChangeEvent":{"entities":[…]}}]}``.
CloudEvents (``application/cloudevents+json``, required since 2026): a JSON array of
CloudEvents 1.0 with ``type`` ``qbo.{entity}.{operation}.v1``. Both: up to 100 events, over
several realms. A malformed event is skipped and counted, never a reason to refuse the
delivery: Intuit retries a refused delivery whole (``../shared/reference/quickbooks-api.md`` §10).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

# The QuickBooks entities qbsync writes, as Intuit names them.
WATCHED = {"customer": "Customer", "invoice": "Invoice", "payment": "Payment"}


class Operation(StrEnum):
    CREATE = "Create"
    UPDATE = "Update"
    DELETE = "Delete"
    MERGE = "Merge"
    VOID = "Void"


# CloudEvents operation words; Intuit's wire shows ``void`` where the docs say ``voided``.
_PAST_TENSE = {
    "created": Operation.CREATE,
    "updated": Operation.UPDATE,
    "deleted": Operation.DELETE,
    "merged": Operation.MERGE,
    "voided": Operation.VOID,
    "void": Operation.VOID,
}
_LEGACY = {op.value.casefold(): op for op in Operation}


@dataclass(frozen=True)
class Change:
    """One change to one QuickBooks record, as a delivery reports it."""

    key: str  # for dedup: the CloudEvents id, else a hash of what the legacy event says
    realm_id: str
    entity: str  # Customer, Invoice, Payment
    qbo_id: str
    operation: Operation
    occurred_at: datetime | None
    deleted_id: str | None = None  # Merge: the record merged away into ``qbo_id``


@dataclass
class Delivery:
    changes: list[Change] = field(default_factory=list)
    ignored: int = 0  # entities qbsync does not write (Emailed, Bill, …)
    malformed: int = 0


def is_signed(body: bytes, signature: str | None, verifier_token: str) -> bool:
    """``intuit-signature`` is base64(HMAC-SHA256(verifier token, the raw body))."""
    if not signature or not verifier_token:
        return False
    try:
        given = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(given, expected)


def read_delivery(body: bytes) -> Delivery:
    """Both formats, told apart by shape: an array is CloudEvents, an object legacy."""
    delivery = Delivery()
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        delivery.malformed += 1
        return delivery
    if isinstance(document, list):
        for event in document:
            _add(delivery, _cloud_event(event))
    elif isinstance(document, dict) and isinstance(document.get("eventNotifications"), list):
        for notification in document["eventNotifications"]:
            for event in _legacy_events(notification):
                _add(delivery, event)
    else:
        delivery.malformed += 1
    return delivery


def _add(delivery: Delivery, outcome: Change | str) -> None:
    if isinstance(outcome, Change):
        delivery.changes.append(outcome)
    elif outcome == "ignored":
        delivery.ignored += 1
    else:
        delivery.malformed += 1


def _text(value: Any, limit: int = 64) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and 0 < len(value.strip()) <= limit:
        return value.strip()
    return None


def _qbo_id(value: Any) -> str | None:
    text = _text(value, 20)
    return text if text is not None and text.isdigit() else None


def _when(value: Any) -> datetime | None:
    text = _text(value, 64)
    if text is None:
        return None
    # Legacy offsets come without a colon (-0700); fromisoformat reads both since 3.11.
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _cloud_event(event: Any) -> Change | str:
    if not isinstance(event, dict):
        return "malformed"
    kind = _text(event.get("type"), 100)
    parts = kind.split(".") if kind else []
    if len(parts) != 4 or parts[0] != "qbo":
        return "malformed"
    entity = WATCHED.get(parts[1].casefold())
    operation = _PAST_TENSE.get(parts[2].casefold())
    if entity is None or operation is None:
        return "ignored"
    event_id = _text(event.get("id"), 200)
    realm_id = _qbo_id(event.get("intuitaccountid"))
    qbo_id = _qbo_id(event.get("intuitentityid"))
    if event_id is None or realm_id is None or qbo_id is None:
        return "malformed"
    data = event.get("data")
    deleted_id = _qbo_id(data.get("deletedId")) if isinstance(data, dict) else None
    return Change(
        key=f"ce:{hashlib.sha256(event_id.encode()).hexdigest()[:40]}",
        realm_id=realm_id,
        entity=entity,
        qbo_id=qbo_id,
        operation=operation,
        occurred_at=_when(event.get("time")),
        deleted_id=deleted_id,
    )


def _legacy_events(notification: Any) -> list[Change | str]:
    if not isinstance(notification, dict):
        return ["malformed"]
    realm_id = _qbo_id(notification.get("realmId"))
    change_event = notification.get("dataChangeEvent")
    entities = change_event.get("entities") if isinstance(change_event, dict) else None
    if realm_id is None or not isinstance(entities, list):
        return ["malformed"]
    return [_legacy_entity(realm_id, entity) for entity in entities]


def _legacy_entity(realm_id: str, entity: Any) -> Change | str:
    if not isinstance(entity, dict):
        return "malformed"
    name = _text(entity.get("name"))
    operation = _text(entity.get("operation"))
    if name is None or operation is None:
        return "malformed"
    watched = WATCHED.get(name.casefold())
    op = _LEGACY.get(operation.casefold())
    if watched is None or op is None:
        return "ignored"
    qbo_id = _qbo_id(entity.get("id"))
    if qbo_id is None:
        return "malformed"
    last_updated = _text(entity.get("lastUpdated")) or ""
    deleted_id = _qbo_id(entity.get("deletedId"))
    # Legacy events carry no id: the same event delivered twice says the same things.
    fingerprint = "|".join([realm_id, watched, qbo_id, op, last_updated, deleted_id or ""])
    return Change(
        key=f"lg:{hashlib.sha256(fingerprint.encode()).hexdigest()[:40]}",
        realm_id=realm_id,
        entity=watched,
        qbo_id=qbo_id,
        operation=op,
        occurred_at=_when(last_updated),
        deleted_id=deleted_id,
    )
