"""Storage for coordinators' changes to single meeting occurrences (cancelled or moved)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import OccurrenceOverride


async def set_override(
    session: AsyncSession,
    *,
    series_id: str,
    rule_date: dt.date,
    action: str,
    new_date: dt.date | None,
    now: dt.datetime,
) -> OccurrenceOverride:
    """Cancel or move one occurrence (identified by its rule date); a later change replaces an earlier one."""
    if action not in ("cancel", "move"):
        raise ValueError(f"unknown override action {action!r}")
    statement = select(OccurrenceOverride).where(
        col(OccurrenceOverride.series_id) == series_id, col(OccurrenceOverride.rule_date) == rule_date
    )
    override = (await session.exec(statement.with_for_update())).first()
    if override is None:
        override = OccurrenceOverride(
            series_id=series_id, rule_date=rule_date, action=action, revision=0, created_at=now
        )
    override.action, override.new_date, override.created_at = action, new_date, now
    override.revision += 1
    session.add(override)
    await session.flush()
    return override


async def list_overrides(session: AsyncSession) -> list[OccurrenceOverride]:
    """Every override (there are only ever a handful a year)."""
    return list((await session.exec(select(OccurrenceOverride))).all())


async def override_revisions(session: AsyncSession) -> dict[tuple[str, dt.date], int]:
    """How many times each changed occurrence (series id, rule date) was changed."""
    rows = await list_overrides(session)
    return {(row.series_id, row.rule_date): row.revision for row in rows}
