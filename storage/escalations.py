"""Storage for anonymised escalation records."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import EscalationCategory, EscalationRecord


async def add_escalation(session: AsyncSession, *, record: EscalationRecord) -> EscalationRecord:
    """Store one completed escalation dialog's record (and its categories as rows, for counting)."""
    session.add(record)
    await session.flush()
    for category in dict.fromkeys(record.categories):
        session.add(EscalationCategory(escalation_id=record.id, category=category))
    await session.flush()
    return record


async def get_escalation(session: AsyncSession, *, reference: str) -> EscalationRecord | None:
    """One record by its reference, or None."""
    return await session.get(EscalationRecord, reference)


async def mark_notified(session: AsyncSession, *, reference: str) -> bool:
    """Note that the coordinators were sent a summary; False if that was done already (or no such record)."""
    record = await session.get(EscalationRecord, reference, with_for_update=True)
    if record is None or record.coordinator_notified:
        return False
    record.coordinator_notified = True
    session.add(record)
    return True


async def recent_escalations(session: AsyncSession, *, limit: int) -> list[EscalationRecord]:
    """The most recently completed records."""
    statement = select(EscalationRecord).order_by(col(EscalationRecord.completed_on).desc()).limit(limit)
    return list((await session.exec(statement)).all())


async def references_completed_on(session: AsyncSession, *, day: dt.date) -> list[str]:
    """The references of the records completed on one day (a handful)."""
    statement = select(EscalationRecord.id).where(col(EscalationRecord.completed_on) == day)
    return [str(reference) for reference in (await session.exec(statement)).all()]


async def all_escalations(session: AsyncSession) -> list[EscalationRecord]:
    """Every record, oldest first (for export)."""
    statement = select(EscalationRecord).order_by(col(EscalationRecord.completed_on), col(EscalationRecord.id))
    return list((await session.exec(statement)).all())


async def escalations_completed_between(
    session: AsyncSession, *, first: dt.date, last: dt.date
) -> list[EscalationRecord]:
    """Records completed from `first` to `last` (both included), oldest first (for the yearly report)."""
    statement = select(EscalationRecord).where(
        col(EscalationRecord.completed_on) >= first, col(EscalationRecord.completed_on) <= last
    )
    return list((await session.exec(statement.order_by(col(EscalationRecord.completed_on)))).all())


async def delete_escalations_before(session: AsyncSession, *, day: dt.date) -> int:
    """Delete records completed before `day` (with their category rows); returns how many."""
    old = select(EscalationRecord.id).where(col(EscalationRecord.completed_on) < day)
    await session.exec(delete(EscalationCategory).where(col(EscalationCategory.escalation_id).in_(old)))
    result = await session.exec(delete(EscalationRecord).where(col(EscalationRecord.completed_on) < day))
    return int(getattr(result, "rowcount", 0))
