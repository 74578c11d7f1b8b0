"""reconciliation: webhook receipts, remote records, CDC cursors, drift mismatches

Revision ID: 0020_reconcile
Revises: 0016_settings_changes
Create Date: 2026-12-06 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_reconcile"
down_revision: str | None = "0016_settings_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quickbooks_drift_mismatch",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("realm_id", sa.String(length=50), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("record_key", sa.String(length=100), nullable=False),
        sa.Column("aforo_id", sa.String(length=100), nullable=True),
        sa.Column("quickbooks_id", sa.String(length=50), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("aforo_value", sa.Text(), nullable=True),
        sa.Column("quickbooks_value", sa.Text(), nullable=True),
        sa.Column("suggested_repair", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quickbooks_drift_mismatch")),
        sa.UniqueConstraint(
            "organization_id",
            "realm_id",
            "entity_type",
            "record_key",
            "kind",
            name="uq_quickbooks_drift_mismatch_record",
        ),
    )
    op.create_index(
        op.f("ix_quickbooks_drift_mismatch_organization_id_state"),
        "quickbooks_drift_mismatch",
        ["organization_id", "state"],
        unique=False,
    )
    op.create_table(
        "quickbooks_remote_record",
        sa.Column("realm_id", sa.String(length=50), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("quickbooks_id", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("sync_token", sa.String(length=20), nullable=True),
        sa.Column("total", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("balance", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("merged_into", sa.String(length=50), nullable=True),
        sa.Column("last_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "realm_id", "entity_type", "quickbooks_id", name=op.f("pk_quickbooks_remote_record")
        ),
    )
    op.create_table(
        "quickbooks_sweep_cursor",
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("realm_id", sa.String(length=50), nullable=False),
        sa.Column("changed_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_swept_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_changes", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "realm_id", name=op.f("pk_quickbooks_sweep_cursor")
        ),
    )
    op.create_table(
        "quickbooks_webhook_receipt",
        sa.Column("event_key", sa.String(length=48), nullable=False),
        sa.Column("realm_id", sa.String(length=50), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("event_key", name=op.f("pk_quickbooks_webhook_receipt")),
    )
    op.create_index(
        op.f("ix_quickbooks_webhook_receipt_received_at"),
        "quickbooks_webhook_receipt",
        ["received_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_quickbooks_webhook_receipt_received_at"), table_name="quickbooks_webhook_receipt"
    )
    op.drop_table("quickbooks_webhook_receipt")
    op.drop_table("quickbooks_sweep_cursor")
    op.drop_table("quickbooks_remote_record")
    op.drop_index(
        op.f("ix_quickbooks_drift_mismatch_organization_id_state"),
        table_name="quickbooks_drift_mismatch",
    )
    op.drop_table("quickbooks_drift_mismatch")
