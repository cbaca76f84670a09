"""Cancelled or moved meeting occurrences, and escalation categories as rows for the digest.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "occurrence_override",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("series_id", sa.String(length=100), nullable=False),
        sa.Column("rule_date", sa.Date(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("new_date", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("series_id", "rule_date", name="uq_occurrence_override"),
    )
    op.create_table(
        "escalation_category",
        sa.Column(
            "escalation_id", sa.String(length=20), sa.ForeignKey("escalation.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("category", sa.String(length=40), primary_key=True),
    )
    op.create_index("ix_escalation_category_category", "escalation_category", ["category"])
    # Records written before this migration get their category rows too.
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, categories FROM escalation")).all()
    import json

    for escalation_id, categories in rows:
        values = json.loads(categories) if isinstance(categories, str) else categories
        for category in dict.fromkeys(values or []):
            connection.execute(
                sa.text("INSERT INTO escalation_category (escalation_id, category) VALUES (:e, :c)"),
                {"e": escalation_id, "c": category},
            )


def downgrade() -> None:
    op.drop_table("escalation_category")
    op.drop_table("occurrence_override")
