"""Platform: the trace context an outbox row carries to its publication and consumers.

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-30

It follows the kernel's revision whatever the broker, so that turning a broker on later
never leaves one of the two unapplied; with a broker, revision 0006 joins the two.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("trace_context", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("trace_context")
