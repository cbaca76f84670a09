"""Storage for anonymous topic suggestions and their votes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Topic, TopicVote

STATUSES = ("new", "planned", "discussed", "rejected")
OPEN_STATUSES = ("new", "planned")


async def add_topic(session: AsyncSession, *, text: str, today: dt.date) -> Topic:
    """Store a suggestion (already screened and anonymous) and return it with its id."""
    topic = Topic(text=text, status="new", created_on=today, votes=0)
    session.add(topic)
    await session.flush()
    return topic


async def get_topic(session: AsyncSession, *, topic_id: int) -> Topic | None:
    """One topic by id, or None."""
    return await session.get(Topic, topic_id)


async def list_topics(
    session: AsyncSession, *, statuses: Sequence[str] = STATUSES, limit: int | None = None
) -> list[Topic]:
    """Topics with these statuses: planned ones by meeting date, the rest by votes, newest first."""
    statement = (
        select(Topic)
        .where(col(Topic.status).in_(statuses))
        .order_by(col(Topic.status), col(Topic.meeting_date), col(Topic.votes).desc(), col(Topic.id).desc())
    )
    if limit is not None:
        statement = statement.limit(limit)
    return list((await session.exec(statement)).all())


async def set_status(
    session: AsyncSession, *, topic_id: int, status: str, meeting_date: dt.date | None = None
) -> Topic | None:
    """Change a topic's status (and meeting date, kept only while planned or discussed); None if no such topic."""
    if status not in STATUSES:
        raise ValueError(f"unknown topic status {status!r}")
    topic = await session.get(Topic, topic_id, with_for_update=True)
    if topic is None:
        return None
    topic.status = status
    if status == "planned":
        topic.meeting_date = meeting_date
    elif status == "new":
        topic.meeting_date = None
    session.add(topic)
    await session.flush()
    return topic


async def add_vote(session: AsyncSession, *, topic_id: int, voter_hash: str, period: str) -> bool:
    """Count one vote unless this (hashed) voter already voted for the topic; True if it was counted."""
    topic = await session.get(Topic, topic_id, with_for_update=True)
    if topic is None:
        return False
    try:
        async with session.begin_nested():
            session.add(TopicVote(topic_id=topic_id, period=period, voter_hash=voter_hash))
    except IntegrityError:
        return False
    topic.votes += 1
    session.add(topic)
    await session.flush()
    return True


async def agenda(session: AsyncSession, *, meeting_date: dt.date) -> list[Topic]:
    """The topics planned for one meeting, most votes first."""
    statement = (
        select(Topic)
        .where(col(Topic.status) == "planned", col(Topic.meeting_date) == meeting_date)
        .order_by(col(Topic.votes).desc(), col(Topic.id))
    )
    return list((await session.exec(statement)).all())


async def all_topics(session: AsyncSession) -> list[Topic]:
    """Every topic, oldest first (for export)."""
    return list((await session.exec(select(Topic).order_by(col(Topic.id)))).all())


async def topics_created_between(session: AsyncSession, *, first: dt.date, last: dt.date) -> list[Topic]:
    """Topics suggested from `first` to `last` (both included), oldest first (for the yearly report)."""
    statement = select(Topic).where(col(Topic.created_on) >= first, col(Topic.created_on) <= last)
    return list((await session.exec(statement.order_by(col(Topic.id)))).all())


async def delete_topics_before(session: AsyncSession, *, day: dt.date) -> int:
    """Delete topics suggested before `day`, with their votes; returns how many topics."""
    old = select(Topic.id).where(col(Topic.created_on) < day)
    await session.exec(delete(TopicVote).where(col(TopicVote.topic_id).in_(old)))
    result = await session.exec(delete(Topic).where(col(Topic.created_on) < day))
    return int(getattr(result, "rowcount", 0))
