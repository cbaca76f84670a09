"""Storage for coordinators' edits of the municipality's contacts and routines (one row per edited entry)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ContentEdit


async def save_edit(
    session: AsyncSession, *, kind: str, entry_id: str, fields: dict[str, Any], by: str, now: dt.datetime
) -> ContentEdit:
    """Merge changed fields into the entry's edit (a later change of a field replaces the earlier one)."""
    if kind not in ("contact", "routine"):
        raise ValueError(f"unknown content kind {kind!r}")
    statement = select(ContentEdit).where(col(ContentEdit.kind) == kind, col(ContentEdit.entry_id) == entry_id)
    edit = (await session.exec(statement.with_for_update())).first()
    if edit is None:
        edit = ContentEdit(kind=kind, entry_id=entry_id, fields={}, updated_by=by, updated_at=now)
    edit.fields = {**edit.fields, **fields}  # a new dict, so the JSON column sees the change
    edit.updated_by, edit.updated_at = by, now
    session.add(edit)
    await session.flush()
    return edit


async def list_edits(session: AsyncSession) -> list[ContentEdit]:
    """Every edit (one per edited contact or routine: a few dozen at most)."""
    return list((await session.exec(select(ContentEdit).order_by(col(ContentEdit.id)))).all())


async def edits_version(session: AsyncSession) -> tuple[int, dt.datetime | None]:
    """How many edits there are and when the last was made: cheap, to see whether another replica changed any."""
    row = (await session.exec(select(func.count(), func.max(col(ContentEdit.updated_at))))).one()
    return int(row[0]), row[1]
