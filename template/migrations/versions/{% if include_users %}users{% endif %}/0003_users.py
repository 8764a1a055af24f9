"""Users module: one profile per account.

Revision ID: 0003
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("users",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users_profiles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("display_name", sa.String(length=32), nullable=False),
        sa.Column("name_key", sa.String(length=32), nullable=False),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users_profiles")),
        sa.UniqueConstraint("account_id", name=op.f("uq_users_profiles_account_id")),
        sa.UniqueConstraint("name_key", name=op.f("uq_users_profiles_name_key")),
    )


def downgrade() -> None:
    op.drop_table("users_profiles")
