"""Which records an export holds, with the contract's columns; the format is bot/export.py's business."""

from __future__ import annotations

from typing import Any

from bot.context import Context
from handlers import topics
from storage import topics as topic_store

COLUMNS = {
    "topics": ("id", "text", "status", "created_at", "votes", "meeting_date"),
}


async def export_records(ctx: Context, kind: str) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """The columns and rows of one kind of record."""
    if kind == "topics":
        async with ctx.db.session() as session:
            rows = topics.export_rows(await topic_store.all_topics(session))
        return COLUMNS[kind], rows
    raise ValueError(f"unknown record kind {kind!r}")
