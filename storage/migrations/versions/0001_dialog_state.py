"""Dialog state: guided dialogs survive restarts.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dialog_state",
        sa.Column("key", sa.String(length=400), primary_key=True),
        sa.Column("flow", sa.String(length=100), nullable=False),
        sa.Column("step", sa.String(length=100), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_dialog_state_updated_at", "dialog_state", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_dialog_state_updated_at", table_name="dialog_state")
    op.drop_table("dialog_state")
