"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 06:05:27.902653
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quickbooks_connection",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("realm_id", sa.String(length=50), nullable=False),
        sa.Column("environment", sa.String(length=16), nullable=False),
        sa.Column("company_name", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("access_token_encrypted", sa.Text(), nullable=True),
        sa.Column("refresh_token_encrypted", sa.Text(), nullable=True),
        sa.Column("access_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refresh_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refresh_token_hard_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disconnected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "settings", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quickbooks_connection")),
        sa.UniqueConstraint(
            "organization_id", name=op.f("uq_quickbooks_connection_organization_id")
        ),
    )
    op.create_index(
        op.f("ix_quickbooks_connection_realm_id"),
        "quickbooks_connection",
        ["realm_id"],
        unique=False,
    )
    op.create_table(
        "quickbooks_mapping",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("realm_id", sa.String(length=50), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("aforo_id", sa.String(length=100), nullable=False),
        sa.Column("quickbooks_id", sa.String(length=50), nullable=False),
        sa.Column("sync_token", sa.String(length=20), nullable=True),
        sa.Column("payload_hash", sa.String(length=64), nullable=True),
        sa.Column("sync_version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "last_synced_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quickbooks_mapping")),
        sa.UniqueConstraint(
            "organization_id",
            "realm_id",
            "entity_type",
            "aforo_id",
            name="uq_quickbooks_mapping_entity",
        ),
    )
    op.create_index(
        op.f("ix_quickbooks_mapping_organization_id_entity_type"),
        "quickbooks_mapping",
        ["organization_id", "entity_type"],
        unique=False,
    )
    op.create_index(
        op.f("ix_quickbooks_mapping_realm_id_entity_type_quickbooks_id"),
        "quickbooks_mapping",
        ["realm_id", "entity_type", "quickbooks_id"],
        unique=False,
    )
    op.create_table(
        "quickbooks_oauth_state",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quickbooks_oauth_state")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_quickbooks_oauth_state_state_hash")),
    )
    op.create_index(
        op.f("ix_quickbooks_oauth_state_expires_at"),
        "quickbooks_oauth_state",
        ["expires_at"],
        unique=False,
    )
    op.create_table(
        "quickbooks_sync_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=True),
        sa.Column("realm_id", sa.String(length=50), nullable=True),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("aforo_id", sa.String(length=100), nullable=False),
        sa.Column("quickbooks_id", sa.String(length=50), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("attempt", sa.Integer(), server_default="1", nullable=False),
        sa.Column("error_code", sa.String(length=50), nullable=True),
        sa.Column("error_category", sa.String(length=20), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("intuit_tid", sa.String(length=100), nullable=True),
        sa.Column("request_payload", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("response_payload", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("correlation_id", sa.String(length=100), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quickbooks_sync_log")),
    )
    op.create_index(
        op.f("ix_quickbooks_sync_log_correlation_id"),
        "quickbooks_sync_log",
        ["correlation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_quickbooks_sync_log_created_at"),
        "quickbooks_sync_log",
        ["created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_quickbooks_sync_log_entity_latest"),
        "quickbooks_sync_log",
        ["organization_id", "entity_type", "aforo_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_quickbooks_sync_log_org_status_time"),
        "quickbooks_sync_log",
        ["organization_id", "status", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_quickbooks_sync_log_org_status_time"),
        table_name="quickbooks_sync_log",
    )
    op.drop_index(
        op.f("ix_quickbooks_sync_log_entity_latest"),
        table_name="quickbooks_sync_log",
    )
    op.drop_index(op.f("ix_quickbooks_sync_log_created_at"), table_name="quickbooks_sync_log")
    op.drop_index(op.f("ix_quickbooks_sync_log_correlation_id"), table_name="quickbooks_sync_log")
    op.drop_table("quickbooks_sync_log")
    op.drop_index(op.f("ix_quickbooks_oauth_state_expires_at"), table_name="quickbooks_oauth_state")
    op.drop_table("quickbooks_oauth_state")
    op.drop_index(
        op.f("ix_quickbooks_mapping_realm_id_entity_type_quickbooks_id"),
        table_name="quickbooks_mapping",
    )
    op.drop_index(
        op.f("ix_quickbooks_mapping_organization_id_entity_type"), table_name="quickbooks_mapping"
    )
    op.drop_table("quickbooks_mapping")
    op.drop_index(op.f("ix_quickbooks_connection_realm_id"), table_name="quickbooks_connection")
    op.drop_table("quickbooks_connection")
