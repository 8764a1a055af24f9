"""Auth module: the security audit trail.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_audit_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_audit_events")),
    )
    op.create_index("ix_auth_audit_events_account_id_id", "auth_audit_events", ["account_id", "id"])
    op.create_index("ix_auth_audit_events_occurred_at", "auth_audit_events", ["occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_auth_audit_events_occurred_at", table_name="auth_audit_events")
    op.drop_index("ix_auth_audit_events_account_id_id", table_name="auth_audit_events")
    op.drop_table("auth_audit_events")
