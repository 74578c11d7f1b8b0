"""record snapshots: invoices as QuickBooks last answered qbsync, for the pages people open

Revision ID: 0021_record_snapshots
Revises: 0020_reconcile
Create Date: 2026-12-06 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_record_snapshots"
down_revision: str | None = "0020_reconcile"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quickbooks_record_snapshot",
        sa.Column("realm_id", sa.String(length=50), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("quickbooks_id", sa.String(length=50), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "realm_id",
            "entity_type",
            "quickbooks_id",
            name=op.f("pk_quickbooks_record_snapshot"),
        ),
    )


def downgrade() -> None:
    op.drop_table("quickbooks_record_snapshot")
