"""The agenda of a meeting: the topics planned for it, for the meeting answer and the reminders."""

from __future__ import annotations

import datetime as dt

from bot.core.context import Context
from storage import topics as store


async def agenda_lines(ctx: Context, meeting_date: dt.date) -> list[str]:
    """The planned topics for one meeting, for the meeting answer and reminders."""
    async with ctx.db.session() as session:
        planned = await store.agenda(session, meeting_date=meeting_date)
    return [topic.text for topic in planned]
