"""An outbox message knows whether an attempt to send it was cut short, and carries a random tag to look it up.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        # Messages queued before have no tag: they are sent without one and never looked up.
        batch.add_column(sa.Column("tag", sa.String(length=32), nullable=False, server_default=""))
        batch.add_column(sa.Column("in_flight", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("in_flight")
        batch.drop_column("tag")
