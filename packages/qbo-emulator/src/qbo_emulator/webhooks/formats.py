"""The bodies Intuit posts to a webhook endpoint, and their ``intuit-signature``.

Legacy: ``{"eventNotifications":[{"realmId","dataChangeEvent":{"entities":[…]}}]}``, one
notification per realm. CloudEvents (``application/cloudevents+json``, required by Intuit
since 2026): a JSON array of CloudEvents 1.0, type ``qbo.{entity}.{operation}.v1``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections import defaultdict
from datetime import UTC
from typing import Literal

from qbo_emulator import clock
from qbo_emulator.changes import Change
from qbo_emulator.wire import JsonObject, JsonValue, dumps

Format = Literal["cloudevents", "legacy"]
CONTENT_TYPES: dict[Format, str] = {
    "cloudevents": "application/cloudevents+json",
    "legacy": "application/json",
}
PAST_TENSE = {
    "Create": "created",
    "Update": "updated",
    "Delete": "deleted",
    "Merge": "merged",
    "Void": "voided",
}


def signature(verifier_token: str, body: bytes) -> str:
    """``intuit-signature``: base64 of HMAC-SHA256 over the raw body, keyed by the token."""
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _legacy_time(change: Change) -> str:
    # Intuit's samples: "2015-10-05T14:42:19-0700" (Pacific, offset without a colon).
    return change.at.astimezone(clock.PACIFIC).strftime("%Y-%m-%dT%H:%M:%S%z")


def legacy(changes: list[Change]) -> bytes:
    by_realm: dict[str, list[JsonValue]] = defaultdict(list)
    for change in changes:
        entity: JsonObject = {
            "name": change.entity,
            "id": change.id,
            "operation": change.operation,
            "lastUpdated": _legacy_time(change),
        }
        if change.deleted_id is not None:
            entity["deletedId"] = change.deleted_id
        by_realm[change.realm_id].append(entity)
    notifications: list[JsonValue] = [
        {"realmId": realm_id, "dataChangeEvent": {"entities": entities}}
        for realm_id, entities in by_realm.items()
    ]
    return dumps({"eventNotifications": notifications})


def cloud_event(change: Change, *, app_id: str) -> JsonObject:
    data: JsonObject = {}
    if change.deleted_id is not None:
        data["deletedId"] = change.deleted_id
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": f"intuit.{app_id}",
        "type": f"qbo.{change.entity.lower()}.{PAST_TENSE[change.operation]}.v1",
        "datacontenttype": "application/json",
        "time": change.at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "intuitentityid": change.id,
        "intuitaccountid": change.realm_id,
        "data": data,
    }


def cloud_events(changes: list[Change], *, app_id: str) -> bytes:
    return dumps([cloud_event(change, app_id=app_id) for change in changes])


def render(fmt: Format, changes: list[Change], *, app_id: str) -> bytes:
    return legacy(changes) if fmt == "legacy" else cloud_events(changes, app_id=app_id)
