"""An inbox item records when a replica took it on, so another replica can finish it if that one dies.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("claimed_at", UTCDateTime(), nullable=True))
    op.create_index("ix_inbox_claimed_at", "inbox", ["claimed_at"])


def downgrade() -> None:
    op.drop_index("ix_inbox_claimed_at", "inbox")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("claimed_at")
