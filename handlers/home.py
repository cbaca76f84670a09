"""The home view (Slack's App Home): next meetings, shortcuts, and for coordinators new topics and escalations."""

from __future__ import annotations

from bot.core.catalog import t
from bot.core.context import Context
from bot.core.messages import Choice, Choices, Facts, Inbound, Part, Reply, Text
from handlers.escalation import recommendation_label
from handlers.meetings import next_of_each
from handlers.privacy.audit import audited
from storage import escalations as escalation_store
from storage import topics as topic_store

ACTION = "home"
VIEW_ACTION = "home-view"
SHORTCUTS = (
    ("home.tema", "tema"),
    ("home.stem", "stem"),
    ("home.bekymring", "bekymring"),
    ("home.kontakter", "kontakter"),
    ("home.rutiner", "rutiner"),
    ("home.moteplan", "møteplan"),
)
LATEST = 5


async def home(inbound: Inbound, ctx: Context) -> list[Reply]:
    """The home view for this user."""
    parts: list[Part] = [Text(t("home.intro", municipality=ctx.municipality.name))]
    meetings = await next_of_each(ctx)
    if meetings:
        parts.append(Facts(title=t("digest.meetings_title"), items=tuple(meetings)))
    parts.append(Choices(action=ACTION, options=tuple(Choice(t(key), word) for key, word in SHORTCUTS)))
    if ctx.municipality.is_coordinator(inbound.user_id):
        async with ctx.db.session() as session:
            topics = await topic_store.list_topics(session, statuses=("new",), limit=LATEST)
            records = await escalation_store.recent_escalations(session, limit=LATEST)
            await audited(
                session, ctx, actor=inbound.user_id, action="read", kind="home", count=len(topics) + len(records)
            )
        topic_items = tuple((f"#{topic.id}", f"{topic.text} ({topic.votes})") for topic in topics)
        parts.append(Facts(title=t("home.new_topics"), items=topic_items or ((t("home.none"), "-"),)))
        record_items = tuple(
            (r.id, f"{r.completed_on.isoformat()}: {recommendation_label(r.recommendation)}") for r in records
        )
        parts.append(Facts(title=t("home.recent_escalations"), items=record_items or ((t("home.none"), "-"),)))
    return [Reply(parts=tuple(parts))]
