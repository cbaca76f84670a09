"""Coordinators' edits of contacts and routines, made in the chat and kept over the municipality file.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "content_edit",
        sa.Column("municipality_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("entry_id", sa.String(length=100), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=300), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("municipality_id", "kind", "entry_id", name="uq_content_edit"),
    )
    op.create_index("ix_content_edit_municipality_id", "content_edit", ["municipality_id"])
    op.create_index("ix_content_edit_updated_at", "content_edit", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_content_edit_updated_at", "content_edit")
    op.drop_index("ix_content_edit_municipality_id", "content_edit")
    op.drop_table("content_edit")
