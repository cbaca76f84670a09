"""Outbox for proactive messages, escalation records, meeting outcomes and the audit log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=300), nullable=False, unique=True),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("failed", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_outbox_target", "outbox", ["target"])
    op.create_index("ix_outbox_next_attempt_at", "outbox", ["next_attempt_at"])
    op.create_table(
        "escalation",
        sa.Column("id", sa.String(length=20), primary_key=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("acute", sa.Boolean(), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=True),
        sa.Column("setting", sa.String(length=40), nullable=True),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("school_team_discussed", sa.Boolean(), nullable=True),
        sa.Column("avvergeplikt", sa.String(length=20), nullable=True),
        sa.Column("opplysningsplikt", sa.String(length=20), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=True),
        sa.Column("consent", sa.String(length=40), nullable=True),
        sa.Column("recommendation", sa.String(length=60), nullable=True),
        sa.Column("coordinator_notified", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_escalation_started_on", "escalation", ["started_on"])
    op.create_index("ix_escalation_completed_on", "escalation", ["completed_on"])
    op.create_index("ix_escalation_recommendation", "escalation", ["recommendation"])
    op.create_table(
        "meeting_outcome",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("meeting_type", sa.String(length=100), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("consent_archived_in", sa.String(length=200), nullable=False),
        sa.Column("known", sa.String(length=2000), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("stafettholder", sa.String(length=100), nullable=False),
        sa.Column("notifications", sa.JSON(), nullable=False),
        sa.Column("follow_up_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("responsible", sa.String(length=300), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_meeting_outcome_meeting_date", "meeting_outcome", ["meeting_date"])
    op.create_index("ix_meeting_outcome_follow_up_date", "meeting_outcome", ["follow_up_date"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=300), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("meeting_outcome")
    op.drop_table("escalation")
    op.drop_table("outbox")
