"""Which records an export holds, with the contract's columns; the format is bot/export.py's business."""

from __future__ import annotations

from typing import Any

from bot.core.context import Context
from handlers import escalation, outcomes, topics
from handlers.privacy.audit import audited
from storage import escalations as escalation_store
from storage import outcomes as outcome_store
from storage import topics as topic_store

COLUMNS = {
    "topics": ("id", "text", "status", "created_at", "votes", "meeting_date"),
    "escalations": (
        "id",
        "started_at",
        "completed_at",
        "acute",
        "subject",
        "setting",
        "categories",
        "school_team_discussed",
        "anonymous",
        "consent",
        "recommendation",
        "coordinator_notified",
    ),
    "outcomes": (
        "id",
        "meeting_type",
        "meeting_date",
        "participants",
        "topics",
        "measures",
        "follow_up_date",
        "status",
    ),
}


async def export_records(ctx: Context, kind: str, *, actor: str) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """The columns and rows of one kind of record; the export itself is written to the audit log."""
    async with ctx.db.session() as session:
        if kind == "topics":
            rows = topics.export_rows(await topic_store.all_topics(session))
        elif kind == "escalations":
            rows = escalation.export_rows(await escalation_store.all_escalations(session))
        elif kind == "outcomes":
            rows = outcomes.export_rows(await outcome_store.all_outcomes(session))
        else:
            raise ValueError(f"unknown record kind {kind!r}")
        await audited(session, ctx, actor=actor, action="export", kind=kind, count=len(rows))
    return COLUMNS[kind], rows
