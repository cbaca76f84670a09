"""Which municipality a person works in, where their Slack workspace or Microsoft 365 tenant serves several."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import PersonMunicipality


async def chosen_municipality(session: AsyncSession, *, user_id: str) -> str | None:
    """The municipality this person chose last, or None."""
    row = await session.get(PersonMunicipality, user_id)
    return row.municipality_id if row is not None else None


async def choose_municipality(session: AsyncSession, *, user_id: str, municipality_id: str, now: dt.datetime) -> None:
    """Remember the person's choice (a new choice replaces the old one)."""
    row = await session.get(PersonMunicipality, user_id)
    if row is None:
        row = PersonMunicipality(user_id=user_id, municipality_id=municipality_id, updated_at=now)
    row.municipality_id, row.updated_at = municipality_id, now
    session.add(row)


async def delete_choices_before(session: AsyncSession, *, when: dt.datetime) -> int:
    """Forget choices not renewed since `when`; returns how many."""
    result = await session.exec(delete(PersonMunicipality).where(col(PersonMunicipality.updated_at) < when))
    return int(getattr(result, "rowcount", 0))
