"""batch items unanswered: QuickBooks' answer to the batch request left the create out

Revision ID: 0023_batch_items_unanswered
Revises: 0022_batch_items_sent
Create Date: 2026-12-07 03:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_batch_items_unanswered"
down_revision: str | None = "0022_batch_items_sent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "quickbooks_batch_item_sent",
        sa.Column("unanswered", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("quickbooks_batch_item_sent", "unanswered")
