"""Retention: records are deleted after the periods in the municipality file; the archive keeps what must be kept."""

from __future__ import annotations

import datetime as dt

from bot.context import Context
from storage.audit import delete_audit_before
from storage.escalations import delete_escalations_before
from storage.inbox import delete_processed_before
from storage.outbox import delete_sent_before
from storage.outcomes import delete_outcomes_before
from storage.topics import delete_topics_before

INBOX_KEYS = dt.timedelta(days=1)


async def apply_retention(ctx: Context) -> dict[str, int]:
    """Delete everything older than its retention period; returns how many of each kind were deleted."""
    keep = ctx.municipality.retention
    now = ctx.clock()
    today = now.astimezone(ctx.municipality.tz).date()
    async with ctx.db.session() as session:
        deleted = {
            "topics": await delete_topics_before(session, day=today - dt.timedelta(days=keep.topics_days)),
            "escalations": await delete_escalations_before(
                session, day=today - dt.timedelta(days=keep.escalations_days)
            ),
            "outcomes": await delete_outcomes_before(session, day=today - dt.timedelta(days=keep.outcomes_days)),
            "audit": await delete_audit_before(session, when=now - dt.timedelta(days=keep.audit_days)),
            "sent messages": await delete_sent_before(session, when=now - dt.timedelta(days=keep.sent_messages_days)),
            # Slack retries within about five minutes; a day of keys is plenty to recognise a redelivery.
            "inbox keys": await delete_processed_before(session, when=now - INBOX_KEYS),
        }
    return {kind: n for kind, n in deleted.items() if n}
