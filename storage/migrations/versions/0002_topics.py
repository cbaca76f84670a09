"""Anonymous topic suggestions, their votes (as keyed hashes), rotating keys and flood counts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "topic",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=True),
    )
    op.create_index("ix_topic_status", "topic", ["status"])
    op.create_index("ix_topic_created_on", "topic", ["created_on"])
    op.create_index("ix_topic_meeting_date", "topic", ["meeting_date"])
    op.create_table(
        "topic_vote",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("topic_id", sa.Integer(), sa.ForeignKey("topic.id"), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("voter_hash", sa.String(length=64), nullable=False),
        sa.UniqueConstraint("voter_hash", name="uq_topic_vote_voter_hash"),
    )
    op.create_index("ix_topic_vote_topic_id", "topic_vote", ["topic_id"])
    op.create_index("ix_topic_vote_period", "topic_vote", ["period"])
    op.create_table(
        "rotating_key",
        sa.Column("purpose", sa.String(length=40), primary_key=True),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
    )
    op.create_table(
        "flood_count",
        sa.Column("sender_hash", sa.String(length=64), primary_key=True),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_flood_count_period", "flood_count", ["period"])


def downgrade() -> None:
    op.drop_table("flood_count")
    op.drop_table("rotating_key")
    op.drop_table("topic_vote")
    op.drop_table("topic")
