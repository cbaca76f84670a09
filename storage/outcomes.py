"""Storage for meeting outcomes (referat)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.measures import delete_measures_of
from storage.models import MeetingOutcome


async def add_outcome(session: AsyncSession, *, outcome: MeetingOutcome) -> MeetingOutcome:
    """Store one meeting outcome and return it with its id."""
    session.add(outcome)
    await session.flush()
    return outcome


async def recent_outcomes(session: AsyncSession, *, limit: int) -> list[MeetingOutcome]:
    """The latest outcomes by meeting date."""
    statement = select(MeetingOutcome).order_by(col(MeetingOutcome.meeting_date).desc(), col(MeetingOutcome.id).desc())
    return list((await session.exec(statement.limit(limit))).all())


async def follow_ups_due(session: AsyncSession, *, today: dt.date) -> list[MeetingOutcome]:
    """Outcomes not closed whose follow-up date has come."""
    statement = select(MeetingOutcome).where(
        col(MeetingOutcome.follow_up_date) <= today, col(MeetingOutcome.status) != "closed"
    )
    return list((await session.exec(statement.order_by(col(MeetingOutcome.id)))).all())


async def outcomes_until(session: AsyncSession, *, last: dt.date) -> list[MeetingOutcome]:
    """Outcomes of meetings on or before `last`, oldest first (the yearly report: the year and what it carried)."""
    statement = select(MeetingOutcome).where(col(MeetingOutcome.meeting_date) <= last)
    return list((await session.exec(statement.order_by(col(MeetingOutcome.id)))).all())


async def all_outcomes(session: AsyncSession) -> list[MeetingOutcome]:
    """Every outcome, oldest first (for export)."""
    return list((await session.exec(select(MeetingOutcome).order_by(col(MeetingOutcome.id)))).all())


async def delete_outcomes_before(session: AsyncSession, *, day: dt.date) -> int:
    """Delete records (and their measures) whose meeting date is before `day`; returns how many records."""
    old = select(MeetingOutcome.id).where(col(MeetingOutcome.meeting_date) < day)
    await delete_measures_of(session, outcome_ids=[i for i in (await session.exec(old)).all() if i is not None])
    result = await session.exec(delete(MeetingOutcome).where(col(MeetingOutcome.meeting_date) < day))
    return int(getattr(result, "rowcount", 0))
