"""Measures (tiltak) as tracked items; those already inside recorded referats are carried over.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same default the referat form applies: evaluate four weeks after the deadline.
EVALUATE_AFTER = dt.timedelta(days=28)


def upgrade() -> None:
    measure = op.create_table(
        "measure",
        sa.Column("municipality_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("outcome_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(length=300), nullable=False),
        sa.Column("responsible", sa.String(length=100), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("evaluate_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("evaluation", sa.String(length=2000), nullable=False),
        sa.Column("coordinator", sa.String(length=300), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    for column in ("municipality_id", "outcome_id", "due", "evaluate_on", "status"):
        op.create_index(f"ix_measure_{column}", "measure", [column])
    outcome = sa.table(
        "meeting_outcome",
        sa.column("municipality_id", sa.String()),
        sa.column("id", sa.Integer()),
        sa.column("measures", sa.JSON()),
        sa.column("responsible", sa.String()),
        sa.column("status", sa.String()),
    )
    rows = []
    now = dt.datetime.now(dt.UTC)
    for record in op.get_bind().execute(sa.select(outcome)).mappings():
        for item in record["measures"] or []:
            due = dt.date.fromisoformat(item["due"]) if item.get("due") else None
            rows.append(
                {
                    "municipality_id": record["municipality_id"],
                    "outcome_id": record["id"],
                    "what": str(item.get("what", ""))[:300],
                    "responsible": str(item.get("responsible", ""))[:100],
                    "due": due,
                    "evaluate_on": due + EVALUATE_AFTER if due else None,
                    # A closed referat's measures are not followed up any more (evaluated with the referat);
                    # the rest are open. Reminders come only for dates ahead, so old ones cause no messages.
                    "status": "evaluated" if record["status"] == "closed" else "open",
                    "evaluation": "",
                    "coordinator": record["responsible"],
                    "updated_at": now,
                }
            )
    if rows:
        op.bulk_insert(measure, rows)


def downgrade() -> None:
    op.drop_table("measure")
