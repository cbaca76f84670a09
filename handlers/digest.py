"""The coordinators' digest: new topics, escalations, follow-ups due, next meetings and routines due for review.

Weekly by default (the municipality file's `digest`), and on demand with `oppsummering`.
"""

from __future__ import annotations

import datetime as dt

from bot.core.catalog import t, use_language
from bot.core.context import Context
from bot.core.messages import Facts, Inbound, Part, Reply, Text
from bot.core.parts import norwegian_date
from bot.core.proactive import queue
from handlers.content import review_reminder
from handlers.escalation import recommendation_label
from handlers.measures import overdue_lines
from handlers.meetings import next_of_each
from handlers.privacy.audit import audited
from handlers.privacy.counts import breakdown, count_text
from storage import digest as store

PERIOD = dt.timedelta(days=7)
FOLLOW_UP_AHEAD = dt.timedelta(days=7)
TOP_TOPICS = 5


async def build_digest(ctx: Context) -> Reply:
    """The digest for the last week, as one message."""
    today = ctx.today()
    since = today - PERIOD
    async with ctx.db.session() as session:
        new_topics, open_topics, votes = await store.topic_counts(session, since=since)
        top = await store.top_topics(session, limit=TOP_TOPICS)
        by_recommendation = await store.escalations_by_recommendation(session, since=since)
        by_category = await store.escalations_by_category(session, since=since)
        follow_ups = await store.follow_ups_until(session, until=today + FOLLOW_UP_AHEAD)
    flow = ctx.dialogs.flow("bekymring") if "bekymring" in ctx.dialogs.flows else None
    parts: list[Part] = [Text(t("digest.title", municipality=ctx.municipality.name, since=norwegian_date(since)))]
    topic_items = [
        (t("digest.new_topics"), str(new_topics)),
        (t("digest.open_topics"), t("digest.open_votes", n=open_topics, votes=votes)),
    ]
    topic_items += [(f"#{i}", f"{text} ({n})") for i, text, n in top]
    parts.append(Facts(title=t("digest.topics_title"), items=tuple(topic_items)))
    # Topic counts are shown as they are (a suggestion has no submitter and is about no one); counts of
    # escalation records are about young people, so small ones read «under 5».
    minimum = ctx.municipality.privacy.minimum_count
    total = sum(n for _, n in by_recommendation)
    escalation_items = [(t("digest.escalations_total"), count_text(total, minimum))]
    escalation_items += breakdown([(recommendation_label(code), n) for code, n in by_recommendation], minimum)
    categories = [(t("digest.category", name=flow.label("categories", c) if flow else c), n) for c, n in by_category]
    escalation_items += breakdown(categories, minimum)
    parts.append(Facts(title=t("digest.escalations_title"), items=tuple(escalation_items)))
    if follow_ups:
        items = tuple((f"#{i} {kind}", norwegian_date(day)) for i, kind, day in follow_ups)
        parts.append(Facts(title=t("digest.follow_ups_title"), items=items))
    else:
        parts.append(Text(t("digest.no_follow_ups")))
    overdue = await overdue_lines(ctx)
    if overdue:
        parts.append(Text("\n".join([t("digest.overdue_measures_title"), *(f"- {line}" for line in overdue)])))
    meetings = await next_of_each(ctx)
    if meetings:
        parts.append(Facts(title=t("digest.meetings_title"), items=tuple(meetings)))
    parts += review_reminder(ctx)
    return Reply(parts=tuple(parts))


async def on_demand(inbound: Inbound, ctx: Context) -> list[Reply]:
    """`oppsummering` for coordinators (audited as a read of the digest)."""
    reply = await build_digest(ctx)
    async with ctx.db.session() as session:
        await audited(session, ctx, actor=inbound.user_id, action="read", kind="digest", count=1)
    return [reply]


async def queue_weekly_digest(ctx: Context) -> int:
    """Queue this week's digest to every coordinator (once per ISO week and coordinator), in the municipality's."""
    use_language(ctx.municipality.language)
    if not ctx.municipality.digest.enabled:
        return 0
    reply = await build_digest(ctx)
    year, week, _ = ctx.clock().astimezone(ctx.municipality.tz).isocalendar()
    queued = 0
    async with ctx.db.session() as session:
        for coordinator in ctx.municipality.coordinators:
            key = f"digest:{year}-W{week:02d}:{coordinator}"
            queued += await queue(session, key=key, target=coordinator, reply=reply, now=ctx.clock())
    return queued


# A server that was down at digest time sends it when it is back, if that is the same working day.
DIGEST_CATCH_UP = dt.timedelta(hours=12)


async def catch_up_weekly_digest(ctx: Context) -> int:
    """On start: queue this week's digest if its time passed a little ago (a restart across it must not drop it)."""
    now = ctx.clock().astimezone(ctx.municipality.tz)
    digest = ctx.municipality.digest
    monday = now.date() - dt.timedelta(days=now.weekday())
    due = dt.datetime.combine(monday + dt.timedelta(days=digest.weekday), digest.at, tzinfo=ctx.municipality.tz)
    if not due <= now < due + DIGEST_CATCH_UP:
        return 0
    return await queue_weekly_digest(ctx)
