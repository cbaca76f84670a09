"""The language each person chose, under a keyed hash of the person.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_language",
        sa.Column("municipality_id", sa.String(length=64), nullable=False, primary_key=True),
        sa.Column("person", sa.String(length=64), nullable=False, primary_key=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("person_language")
