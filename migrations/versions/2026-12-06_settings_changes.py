"""settings changes: who changed an organization's account and item mapping, and how

Revision ID: 0016_settings_changes
Revises: 0015_read_budget
Create Date: 2026-12-06 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016_settings_changes"
down_revision: str | None = "0015_read_budget"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quickbooks_settings_change",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("realm_id", sa.String(length=50), nullable=False),
        sa.Column("changed_by", sa.String(length=255), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quickbooks_settings_change")),
    )
    op.create_index(
        op.f("ix_quickbooks_settings_change_organization_id_changed_at"),
        "quickbooks_settings_change",
        ["organization_id", "changed_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_quickbooks_settings_change_organization_id_changed_at"),
        table_name="quickbooks_settings_change",
    )
    op.drop_table("quickbooks_settings_change")
