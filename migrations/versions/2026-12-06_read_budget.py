"""read budget: billable QuickBooks reads per month, organization and kind

Revision ID: 0015_read_budget
Revises: 0014
Create Date: 2026-12-06 22:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_read_budget"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quickbooks_read_usage",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reads", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "month", "organization_id", "kind", name=op.f("pk_quickbooks_read_usage")
        ),
    )


def downgrade() -> None:
    op.drop_table("quickbooks_read_usage")
