"""batch items sent: the batch request each batched create went out in, for its repeats

Revision ID: 0022_batch_items_sent
Revises: 0021_record_snapshots
Create Date: 2026-12-07 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_batch_items_sent"
down_revision: str | None = "0021_record_snapshots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quickbooks_batch_item_sent",
        sa.Column("realm_id", sa.String(length=50), nullable=False),
        sa.Column("request_id", sa.String(length=50), nullable=False),
        sa.Column("batch_request_id", sa.String(length=36), nullable=False),
        sa.Column("b_id", sa.String(length=14), nullable=False),
        sa.Column(
            "sent_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "realm_id", "request_id", name=op.f("pk_quickbooks_batch_item_sent")
        ),
    )
    op.create_index(
        op.f("ix_quickbooks_batch_item_sent_sent_at"),
        "quickbooks_batch_item_sent",
        ["sent_at"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_quickbooks_batch_item_sent_sent_at"), table_name="quickbooks_batch_item_sent"
    )
    op.drop_table("quickbooks_batch_item_sent")
