"""scheduler: pending work, realm leases, results for waiting callers

Revision ID: 0014
Revises: 0003_oauth_browser
Create Date: 2026-11-30 20:54:24.285276
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0003_oauth_browser"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quickbooks_pending_work",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("aforo_id", sa.String(length=100), nullable=False),
        sa.Column("lane", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column(
            "run_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("claims", sa.Integer(), server_default="0", nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("correlation_id", sa.String(length=100), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("coalesced", sa.Integer(), server_default="0", nullable=False),
        sa.Column("keep_result", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("park_reason", sa.String(length=40), nullable=True),
        sa.Column("error_code", sa.String(length=50), nullable=True),
        sa.Column("error_category", sa.String(length=20), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("last_log_id", sa.BigInteger(), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quickbooks_pending_work")),
    )
    op.create_index(
        op.f("ix_quickbooks_pending_work_lane_state_priority_run_at"),
        "quickbooks_pending_work",
        ["lane", "state", "priority", "run_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_quickbooks_pending_work_organization_id_kind_aforo_id"),
        "quickbooks_pending_work",
        ["organization_id", "kind", "aforo_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_quickbooks_pending_work_state_priority_created_at"),
        "quickbooks_pending_work",
        ["state", "priority", "created_at"],
        unique=False,
    )
    op.create_index(
        "uq_quickbooks_pending_work_pending_key",
        "quickbooks_pending_work",
        ["organization_id", "kind", "aforo_id"],
        unique=True,
        postgresql_where=sa.text("state = 'PENDING'"),
    )
    op.create_table(
        "quickbooks_realm_lease",
        sa.Column("lane", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_served_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "recent_starts", postgresql.ARRAY(sa.Float()), server_default="{}", nullable=False
        ),
        sa.Column("paused_until", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("lane", name=op.f("pk_quickbooks_realm_lease")),
    )
    op.create_table(
        "quickbooks_work_result",
        sa.Column("work_id", sa.BigInteger(), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("work_id", name=op.f("pk_quickbooks_work_result")),
    )


def downgrade() -> None:
    op.drop_table("quickbooks_work_result")
    op.drop_table("quickbooks_realm_lease")
    op.drop_index(
        "uq_quickbooks_pending_work_pending_key",
        table_name="quickbooks_pending_work",
        postgresql_where=sa.text("state = 'PENDING'"),
    )
    op.drop_index(
        op.f("ix_quickbooks_pending_work_state_priority_created_at"),
        table_name="quickbooks_pending_work",
    )
    op.drop_index(
        op.f("ix_quickbooks_pending_work_organization_id_kind_aforo_id"),
        table_name="quickbooks_pending_work",
    )
    op.drop_index(
        op.f("ix_quickbooks_pending_work_lane_state_priority_run_at"),
        table_name="quickbooks_pending_work",
    )
    op.drop_table("quickbooks_pending_work")
