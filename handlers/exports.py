"""Which records an export holds and its columns, the same for every format (bot/export.py writes CSV or XLSX).

No column names a person: topics have no submitter, escalation records no user, outcomes and measures not who
recorded them.
"""

from __future__ import annotations

from typing import Any

from bot.core.context import Context
from handlers.privacy.audit import audited
from storage import escalations as escalation_store
from storage import measures as measure_store
from storage import outcomes as outcome_store
from storage import topics as topic_store
from storage.models import EscalationRecord, Measure, MeetingOutcome, Topic

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
    "measures": ("id", "outcome_id", "what", "responsible", "due", "evaluate_on", "status", "evaluation"),
}


async def export_records(ctx: Context, kind: str, *, actor: str) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """The columns and rows of one kind of record; the export itself is written to the audit log."""
    async with ctx.db.session() as session:
        if kind == "topics":
            rows = topic_rows(await topic_store.all_topics(session))
        elif kind == "escalations":
            rows = escalation_rows(await escalation_store.all_escalations(session))
        elif kind == "outcomes":
            rows = outcome_rows(await outcome_store.all_outcomes(session))
        elif kind == "measures":
            rows = measure_rows(await measure_store.all_measures(session))
        else:
            raise ValueError(f"unknown record kind {kind!r}")
        await audited(session, ctx, actor=actor, action="export", kind=kind, count=len(rows))
    return COLUMNS[kind], rows


def topic_rows(topics: list[Topic]) -> list[dict[str, Any]]:
    """Topics as export rows (there is no submitter field)."""
    return [
        {
            "id": topic.id,
            "text": topic.text,
            "status": topic.status,
            "created_at": topic.created_on.isoformat(),
            "votes": topic.votes,
            "meeting_date": topic.meeting_date.isoformat() if topic.meeting_date else None,
        }
        for topic in topics
    ]


def escalation_rows(records: list[EscalationRecord]) -> list[dict[str, Any]]:
    """Escalation records as export rows (there are no user ids to leave out)."""
    return [
        {
            "id": r.id,
            "started_at": r.started_on.isoformat(),
            "completed_at": r.completed_on.isoformat(),
            "acute": r.acute,
            "subject": r.subject,
            "setting": r.setting,
            "categories": list(r.categories),
            "school_team_discussed": r.school_team_discussed,
            "anonymous": r.anonymous,
            "consent": r.consent,
            "recommendation": r.recommendation,
            "coordinator_notified": r.coordinator_notified,
        }
        for r in records
    ]


def outcome_rows(outcomes: list[MeetingOutcome]) -> list[dict[str, Any]]:
    """Meeting outcomes as export rows (not who recorded them)."""
    return [
        {
            "id": o.id,
            "meeting_type": o.meeting_type,
            "meeting_date": o.meeting_date.isoformat(),
            "participants": list(o.participants),
            "topics": list(o.topics),
            "measures": list(o.measures),
            "follow_up_date": o.follow_up_date.isoformat() if o.follow_up_date else None,
            "status": o.status,
        }
        for o in outcomes
    ]


def measure_rows(measures: list[Measure]) -> list[dict[str, Any]]:
    """Measures as export rows (not the coordinator who recorded them)."""
    return [
        {
            "id": m.id,
            "outcome_id": m.outcome_id,
            "what": m.what,
            "responsible": m.responsible,
            "due": m.due.isoformat() if m.due else None,
            "evaluate_on": m.evaluate_on.isoformat() if m.evaluate_on else None,
            "status": m.status,
            "evaluation": m.evaluation,
        }
        for m in measures
    ]
