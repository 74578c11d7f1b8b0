"""The pending work reconciliation creates: one kind per QuickBooks record that changed, one
per organization's CDC sweep. Both run at the backfill priority (2), after syncs."""

from __future__ import annotations

from qbsync.sync.models import EntityType

CHANGE_KIND = "QBO_CHANGE"
SWEEP_KIND = "QBO_SWEEP"
KINDS = frozenset({CHANGE_KIND, SWEEP_KIND})

ENTITY_TYPES = {
    "Customer": EntityType.CUSTOMER,
    "Invoice": EntityType.INVOICE,
    "Payment": EntityType.PAYMENT,
}


def change_id(entity: str, qbo_id: str) -> str:
    """The work's id for a QuickBooks record: ``Invoice:145``."""
    return f"{entity}:{qbo_id}"


def parse_change_id(value: str) -> tuple[str, str] | None:
    entity, _, qbo_id = value.partition(":")
    if entity not in ENTITY_TYPES or not qbo_id.isdigit():
        return None
    return entity, qbo_id
