"""Storage for measures (tiltak): what was decided, by which service, by when, and how it went."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Measure

# Statuses still followed up: not yet done, or done and not yet evaluated.
FOLLOWED_UP = ("open", "done")


async def add_measures(session: AsyncSession, *, measures: list[Measure]) -> list[Measure]:
    """Store measures (from one referat) and return them with their ids."""
    session.add_all(measures)
    await session.flush()
    return measures


async def get_measure(session: AsyncSession, *, measure_id: int) -> Measure | None:
    """One measure by id (within the session's municipality)."""
    statement = select(Measure).where(col(Measure.id) == measure_id)
    return (await session.exec(statement)).first()


async def followed_up(session: AsyncSession, *, limit: int) -> list[Measure]:
    """Open and done-but-not-evaluated measures, the nearest deadline first (those without one last)."""
    statement = (
        select(Measure)
        .where(col(Measure.status).in_(FOLLOWED_UP))
        .order_by(col(Measure.due).is_(None), col(Measure.due), col(Measure.id))
    )
    return list((await session.exec(statement.limit(limit))).all())


async def overdue(session: AsyncSession, *, today: dt.date) -> list[Measure]:
    """Open measures past their deadline, and done ones past their evaluation date."""
    statement = select(Measure).where(
        or_(
            (col(Measure.status) == "open") & (col(Measure.due) < today),
            (col(Measure.status) == "done") & (col(Measure.evaluate_on) < today),
        )
    )
    order = (col(Measure.due).is_(None), col(Measure.due), col(Measure.id))
    return list((await session.exec(statement.order_by(*order))).all())


async def coming_dates(session: AsyncSession, *, today: dt.date, until: dt.date) -> list[Measure]:
    """Measures with a date in [today, until] still ahead of them: an open one's deadline, a done one's evaluation."""
    statement = select(Measure).where(
        or_(
            (col(Measure.status) == "open") & (col(Measure.due) >= today) & (col(Measure.due) <= until),
            (col(Measure.status) == "done") & (col(Measure.evaluate_on) >= today) & (col(Measure.evaluate_on) <= until),
        )
    )
    return list((await session.exec(statement.order_by(col(Measure.id)))).all())


async def measures_of(session: AsyncSession, *, outcome_ids: list[int]) -> list[Measure]:
    """The measures of some referats, in the order they were recorded."""
    if not outcome_ids:
        return []
    statement = select(Measure).where(col(Measure.outcome_id).in_(outcome_ids)).order_by(col(Measure.id))
    return list((await session.exec(statement)).all())


async def all_measures(session: AsyncSession) -> list[Measure]:
    """Every measure, oldest first (for export and the yearly report)."""
    return list((await session.exec(select(Measure).order_by(col(Measure.id)))).all())


async def delete_measures_of(session: AsyncSession, *, outcome_ids: list[int]) -> int:
    """Delete the measures of outcomes that are being deleted (retention); returns how many."""
    if not outcome_ids:
        return 0
    result = await session.exec(delete(Measure).where(col(Measure.outcome_id).in_(outcome_ids)))
    return int(getattr(result, "rowcount", 0))
