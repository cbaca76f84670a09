"""Aggregates for the coordinators' digest: counted by the database, never by loading rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import EscalationCategory, EscalationRecord, MeetingOutcome, Topic


async def topic_counts(session: AsyncSession, *, since: dt.date) -> tuple[int, int, int]:
    """(new topics since the day, open topics, votes on open topics)."""
    new = select(func.count()).select_from(Topic).where(col(Topic.created_on) >= since)
    open_ = select(func.count(), func.coalesce(func.sum(Topic.votes), 0)).where(
        col(Topic.status).in_(("new", "planned"))
    )
    new_count = (await session.exec(new)).one()
    open_count, votes = (await session.exec(open_)).one()
    return int(new_count), int(open_count), int(votes)


async def top_topics(session: AsyncSession, *, limit: int) -> list[tuple[int, str, int]]:
    """The open topics with the most votes: (id, text, votes)."""
    statement = (
        select(Topic.id, Topic.text, Topic.votes)
        .where(col(Topic.status).in_(("new", "planned")))
        .order_by(col(Topic.votes).desc(), col(Topic.id).desc())
        .limit(limit)
    )
    return [(int(i or 0), text, int(votes)) for i, text, votes in (await session.exec(statement)).all()]


async def escalations_by_recommendation(session: AsyncSession, *, since: dt.date) -> list[tuple[str | None, int]]:
    """How many escalation records ended in each recommendation since the day, most first."""
    n = func.count().label("n")
    statement = (
        select(EscalationRecord.recommendation, n)
        .where(col(EscalationRecord.completed_on) >= since)
        .group_by(col(EscalationRecord.recommendation))
        .order_by(n.desc())
    )
    return [(rec, int(count)) for rec, count in (await session.exec(statement)).all()]


async def escalations_by_category(session: AsyncSession, *, since: dt.date) -> list[tuple[str, int]]:
    """How many escalation records named each concern category since the day, most first."""
    n = func.count().label("n")
    statement = (
        select(EscalationCategory.category, n)
        .join(EscalationRecord, col(EscalationRecord.id) == col(EscalationCategory.escalation_id))
        .where(col(EscalationRecord.completed_on) >= since)
        .group_by(col(EscalationCategory.category))
        .order_by(n.desc())
    )
    return [(category, int(count)) for category, count in (await session.exec(statement)).all()]


async def follow_ups_until(session: AsyncSession, *, until: dt.date) -> list[tuple[int, str, dt.date]]:
    """Open outcomes with a follow-up on or before the day: (id, meeting type, follow-up date)."""
    statement = (
        select(col(MeetingOutcome.id), col(MeetingOutcome.meeting_type), col(MeetingOutcome.follow_up_date))
        .where(col(MeetingOutcome.follow_up_date) <= until, col(MeetingOutcome.status) != "closed")
        .order_by(col(MeetingOutcome.follow_up_date))
    )
    return [(int(i or 0), kind, day) for i, kind, day in (await session.exec(statement)).all() if day is not None]
