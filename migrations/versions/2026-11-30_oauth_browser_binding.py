"""oauth state bound to a browser; operator-allowed shared companies

Revision ID: 0003_oauth_browser
Revises: 0002
Create Date: 2026-11-30 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_oauth_browser"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "quickbooks_oauth_state", sa.Column("browser_hash", sa.String(length=64), nullable=True)
    )
    op.add_column(
        "quickbooks_oauth_state",
        sa.Column("allow_shared_company", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("quickbooks_oauth_state", "allow_shared_company")
    op.drop_column("quickbooks_oauth_state", "browser_hash")
