"""What a person chose: the municipality they work in (where a workspace serves several), and their language."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import PersonLanguage, PersonMunicipality


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


async def person_language(session: AsyncSession, *, person: str) -> str | None:
    """The language this (hashed) person chose, or None."""
    row = (await session.exec(select(PersonLanguage).where(col(PersonLanguage.person) == person))).first()
    return row.language if row is not None else None


async def choose_language(session: AsyncSession, *, person: str, language: str, now: dt.datetime) -> None:
    """Remember the (hashed) person's language (a new choice replaces the old one)."""
    row = (await session.exec(select(PersonLanguage).where(col(PersonLanguage.person) == person))).first()
    if row is None:
        row = PersonLanguage(person=person, language=language, updated_at=now)
    row.language, row.updated_at = language, now
    session.add(row)


async def all_languages(session: AsyncSession) -> dict[str, str]:
    """Every (hashed) person's chosen language: one row per person who ever chose one."""
    return {row.person: row.language for row in (await session.exec(select(PersonLanguage))).all()}


async def languages_version(session: AsyncSession) -> tuple[int, dt.datetime | None]:
    """How many choices there are and when the last was made: cheap, to see whether another replica added one."""
    row = (await session.exec(select(func.count(), func.max(col(PersonLanguage.updated_at))))).one()
    return int(row[0]), row[1]
