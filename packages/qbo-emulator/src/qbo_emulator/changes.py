"""A change to one record, as webhooks report it (Intuit's operation names)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from qbo_emulator import clock

# Intuit's webhook operations (Emailed is not emulated).
ChangeOperation = Literal["Create", "Update", "Delete", "Merge", "Void"]


@dataclass(frozen=True)
class Change:
    realm_id: str
    entity: str
    id: str
    operation: ChangeOperation
    at: datetime = field(default_factory=clock.now)
    # Merge: the record merged away into ``id`` (Intuit's ``deletedId``).
    deleted_id: str | None = None


ChangeListener = Callable[[Change], None]
