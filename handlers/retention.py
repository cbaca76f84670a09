"""Retention: records are deleted after the periods in the municipality file; the archive keeps what must be kept."""

from __future__ import annotations

import datetime as dt

from bot.core.context import Context
from handlers.escalation import OFFER_KEY
from storage.audit import delete_audit_before
from storage.escalations import delete_escalations_before
from storage.inbox import delete_received_before
from storage.keys import forget_key_unless
from storage.outbox import delete_sent_before, delete_unsent_before
from storage.outcomes import delete_outcomes_before
from storage.people import delete_choices_before
from storage.references import delete_personal_unused_since
from storage.topics import delete_topics_before

INBOX_KEYS = dt.timedelta(days=1)
# A message that could not be delivered in a week will not be wanted any more (and it holds its content).
UNDELIVERED = dt.timedelta(days=7)
# The personal chat of someone who has not written to the bot for a year (coordinators' chats are kept).
PERSONAL_CHATS = dt.timedelta(days=365)


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
            "undelivered messages": await delete_unsent_before(session, when=now - UNDELIVERED),
            # Slack retries within about five minutes; a day of keys is plenty to recognise a redelivery. An item
            # still unprocessed after a day (its payload holds who and what) is not going to be answered.
            "inbox items": await delete_received_before(session, when=now - INBOX_KEYS),
            # Yesterday's key for the escalation offers is forgotten, so no old offer token can be matched again.
            "expired keys": await forget_key_unless(session, purpose=OFFER_KEY, period=today.isoformat()),
            "personal chats": await delete_personal_unused_since(
                session, when=now - PERSONAL_CHATS, keep_users=_coordinator_ids(ctx, "teams:")
            ),
            "municipality choices": await delete_choices_before(session, when=now - PERSONAL_CHATS),
        }
    return {kind: n for kind, n in deleted.items() if n}


def _coordinator_ids(ctx: Context, prefix: str) -> set[str]:
    """Every municipality's coordinators' ids on one platform, without the prefix (personal chats are shared)."""
    municipalities = ctx.deployment or (ctx.municipality,)
    return {user.removeprefix(prefix) for m in municipalities for user in m.coordinators if user.startswith(prefix)}
